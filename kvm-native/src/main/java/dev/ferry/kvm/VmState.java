package dev.ferry.kvm;

import java.util.List;

/**
 * The in-kernel devices' state of a VM, from {@link Vm#saveState()}: the PIC master, PIC slave and
 * IOAPIC (empty without an in-kernel irqchip), the PIT (null without one) and the kvmclock (null
 * without KVM_CAP_ADJUST_CLOCK).
 */
public record VmState(List<Irqchip> irqchips, Pit2 pit, ClockData clock) {

    public VmState {
        irqchips = List.copyOf(irqchips);
    }
}
