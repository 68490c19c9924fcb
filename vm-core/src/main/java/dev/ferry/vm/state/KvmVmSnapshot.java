package dev.ferry.vm.state;

import dev.ferry.kvm.ClockData;
import dev.ferry.kvm.Irqchip;
import dev.ferry.kvm.Pit2;
import dev.ferry.kvm.StructBytes;
import dev.ferry.kvm.VmState;
import java.util.List;
import java.util.Optional;

/**
 * The VM-wide KVM state as the "kvm-vm" section carries it: the kvmclock (KVM_GET_CLOCK, on every
 * host that can adjust it) and, with an in-kernel irqchip, the PIC pair, IOAPIC and PIT; KVM's raw
 * structs as bytes.
 *
 * @param irqchips PIC master, PIC slave and IOAPIC as {@code struct kvm_irqchip} bytes; empty without an
 *         irqchip
 * @param pit the PIT as {@code struct kvm_pit_state2} bytes, if there is one
 * @param clock the kvmclock, where the host can adjust it
 */
public record KvmVmSnapshot(List<byte[]> irqchips, Optional<byte[]> pit, Optional<ClockData> clock) {

    /** Bumped only on an incompatible change of this record. */
    public static final int VERSION = 1;

    /** Copies the chip list. */
    public KvmVmSnapshot {
        irqchips = List.copyOf(irqchips);
    }

    /**
     * The snapshot of a VM's in-kernel state.
     *
     * @param state from {@code Vm.saveState}
     * @return the snapshot
     */
    public static KvmVmSnapshot of(VmState state) {
        return new KvmVmSnapshot(state.irqchips().stream().map(chip -> chip.bytes().toArray()).toList(),
                Optional.ofNullable(state.pit()).map(pit -> pit.bytes().toArray()), Optional.ofNullable(state.clock()));
    }

    /**
     * The state to give {@code Vm.restoreState}.
     *
     * @return the state
     */
    public VmState toVmState() {
        return new VmState(irqchips.stream().map(bytes -> new Irqchip(StructBytes.copyOf(bytes))).toList(),
                pit.map(bytes -> new Pit2(StructBytes.copyOf(bytes))).orElse(null), clock.orElse(null));
    }
}
