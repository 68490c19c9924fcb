package dev.ferry.vm.state;

import dev.ferry.kvm.DebugRegs;
import dev.ferry.kvm.Fpu;
import dev.ferry.kvm.Lapic;
import dev.ferry.kvm.MpState;
import dev.ferry.kvm.Msr;
import dev.ferry.kvm.Regs;
import dev.ferry.kvm.Sregs;
import dev.ferry.kvm.StructBytes;
import dev.ferry.kvm.VcpuEvents;
import dev.ferry.kvm.VcpuState;
import dev.ferry.kvm.Xcrs;
import dev.ferry.kvm.Xsave;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * One vCPU at a pause, as the migration stream carries it: every state KVM supports on the source
 * ({@link VcpuState}, absent ones empty, KVM's raw structs as bytes) plus whether the vCPU waits
 * halted for a wake-up. The record is the wire contract of the "cpu" sections.
 *
 * @param id the vCPU id
 * @param regs general-purpose registers
 * @param sregs segment and control registers
 * @param fpu {@code struct kvm_fpu} bytes, where XSAVE is missing
 * @param xsave {@code struct kvm_xsave} bytes, where the host has XSAVE
 * @param xcrs {@code struct kvm_xcrs} bytes
 * @param msrs the migrated MSRs
 * @param mpState the multiprocessing state
 * @param lapic {@code struct kvm_lapic_state} bytes, with an in-kernel irqchip
 * @param vcpuEvents {@code struct kvm_vcpu_events} bytes
 * @param debugRegs {@code struct kvm_debugregs} bytes
 * @param halted whether the vCPU waits halted for a wake-up
 */
public record CpuSnapshot(int id, Regs regs, Sregs sregs, Optional<byte[]> fpu, Optional<byte[]> xsave,
                          Optional<byte[]> xcrs, List<Msr> msrs, Optional<MpState> mpState, Optional<byte[]> lapic,
                          Optional<byte[]> vcpuEvents, Optional<byte[]> debugRegs, boolean halted) {

    /** Bumped only on an incompatible change of this record or of the kvm records inside it. */
    public static final int VERSION = 1;

    /**
     * Copies the MSR list and checks that FPU or XSAVE state is there.
     *
     * @throws IllegalArgumentException if both fpu and xsave are empty
     */
    public CpuSnapshot {
        msrs = List.copyOf(msrs);
        if (fpu.isEmpty() && xsave.isEmpty()) {
            throw new IllegalArgumentException("vCPU " + id + " snapshot has neither FPU nor XSAVE state");
        }
    }

    /**
     * The snapshot of a paused vCPU.
     *
     * @param id the vCPU id
     * @param state from {@code Vcpu.saveState}
     * @param halted whether the vCPU waits halted
     * @return the snapshot
     */
    public static CpuSnapshot of(int id, VcpuState state, boolean halted) {
        return new CpuSnapshot(id, state.regs(), state.sregs(), bytes(state.fpu(), Fpu::bytes),
                bytes(state.xsave(), Xsave::bytes), bytes(state.xcrs(), Xcrs::bytes), state.msrs(),
                Optional.ofNullable(state.mpState()), bytes(state.lapic(), Lapic::bytes),
                bytes(state.vcpuEvents(), VcpuEvents::bytes), bytes(state.debugRegs(), DebugRegs::bytes), halted);
    }

    /**
     * The state to give {@code Vcpu.restoreState}.
     *
     * @return the state
     */
    public VcpuState toVcpuState() {
        return new VcpuState(regs, sregs, fpu.map(b -> new Fpu(StructBytes.copyOf(b))).orElse(null),
                xsave.map(b -> new Xsave(StructBytes.copyOf(b))).orElse(null),
                xcrs.map(b -> new Xcrs(StructBytes.copyOf(b))).orElse(null), msrs, mpState.orElse(null),
                lapic.map(b -> new Lapic(StructBytes.copyOf(b))).orElse(null),
                vcpuEvents.map(b -> new VcpuEvents(StructBytes.copyOf(b))).orElse(null),
                debugRegs.map(b -> new DebugRegs(StructBytes.copyOf(b))).orElse(null));
    }

    private static <T> Optional<byte[]> bytes(T state, Function<T, StructBytes> raw) {
        return Optional.ofNullable(state).map(s -> raw.apply(s).toArray());
    }
}
