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
 */
public record CpuSnapshot(int id, Regs regs, Sregs sregs, Optional<byte[]> fpu, Optional<byte[]> xsave,
                          Optional<byte[]> xcrs, List<Msr> msrs, Optional<MpState> mpState, Optional<byte[]> lapic,
                          Optional<byte[]> vcpuEvents, Optional<byte[]> debugRegs, boolean halted) {

    /** Bumped only on an incompatible change of this record or of the kvm records inside it. */
    public static final int VERSION = 1;

    public CpuSnapshot {
        msrs = List.copyOf(msrs);
        if (fpu.isEmpty() && xsave.isEmpty()) {
            throw new IllegalArgumentException("vCPU " + id + " snapshot has neither FPU nor XSAVE state");
        }
    }

    public static CpuSnapshot of(int id, VcpuState state, boolean halted) {
        return new CpuSnapshot(id, state.regs(), state.sregs(), bytes(state.fpu(), Fpu::bytes),
                bytes(state.xsave(), Xsave::bytes), bytes(state.xcrs(), Xcrs::bytes), state.msrs(),
                Optional.ofNullable(state.mpState()), bytes(state.lapic(), Lapic::bytes),
                bytes(state.vcpuEvents(), VcpuEvents::bytes), bytes(state.debugRegs(), DebugRegs::bytes), halted);
    }

    /** The state to give {@code Vcpu.restoreState}. */
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
