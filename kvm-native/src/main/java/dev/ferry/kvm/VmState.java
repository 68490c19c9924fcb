package dev.ferry.kvm;

import java.util.List;

/**
 * The in-kernel devices' state of a VM, from {@link Vm#saveState()}: the PIC master, PIC slave and
 * IOAPIC (empty without an in-kernel irqchip), the PIT (null without one) and the kvmclock (null
 * without KVM_CAP_ADJUST_CLOCK).
 *
 * @param irqchips PIC master, PIC slave and IOAPIC, or empty
 * @param pit the PIT, or null
 * @param clock the kvmclock, or null
 */
public record VmState(List<Irqchip> irqchips, Pit2 pit, ClockData clock) {

    /** Copies the chip list. */
    public VmState {
        irqchips = List.copyOf(irqchips);
    }
}
