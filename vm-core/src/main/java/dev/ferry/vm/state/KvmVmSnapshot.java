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
 */
public record KvmVmSnapshot(List<byte[]> irqchips, Optional<byte[]> pit, Optional<ClockData> clock) {

    public static final int VERSION = 1;

    public KvmVmSnapshot {
        irqchips = List.copyOf(irqchips);
    }

    public static KvmVmSnapshot of(VmState state) {
        return new KvmVmSnapshot(state.irqchips().stream().map(chip -> chip.bytes().toArray()).toList(),
                Optional.ofNullable(state.pit()).map(pit -> pit.bytes().toArray()), Optional.ofNullable(state.clock()));
    }

    /** The state to give {@code Vm.restoreState}. */
    public VmState toVmState() {
        return new VmState(irqchips.stream().map(bytes -> new Irqchip(StructBytes.copyOf(bytes))).toList(),
                pit.map(bytes -> new Pit2(StructBytes.copyOf(bytes))).orElse(null), clock.orElse(null));
    }
}
