package dev.ferry.kvm.bindings;

import static dev.ferry.kvm.bindings.CLayouts.ANON;
import static dev.ferry.kvm.bindings.CLayouts.struct;
import static dev.ferry.kvm.bindings.CLayouts.u32;
import static dev.ferry.kvm.bindings.CLayouts.union;

import java.lang.foreign.StructLayout;

/** {@code struct kvm_irq_level} (KVM_IRQ_LINE) and {@code struct kvm_interrupt} (KVM_INTERRUPT). */
public final class KvmIrqLevel {

    public static final StructLayout LAYOUT = struct("kvm_irq_level",
            union(ANON, u32("irq"), u32("status")), u32("level"));

    public static final StructLayout INTERRUPT = struct("kvm_interrupt", u32("irq"));

    private KvmIrqLevel() {
    }
}
