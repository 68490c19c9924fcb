package dev.ferry.kvm.bindings;

import static dev.ferry.kvm.bindings.CLayouts.array;
import static dev.ferry.kvm.bindings.CLayouts.struct;
import static dev.ferry.kvm.bindings.CLayouts.u32;
import static dev.ferry.kvm.bindings.CLayouts.u64;
import static dev.ferry.kvm.bindings.CLayouts.u8;
import static dev.ferry.kvm.bindings.CLayouts.union;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.StructLayout;

/** {@code struct kvm_irqchip} (KVM_GET/SET_IRQCHIP) with the PIC and IOAPIC states it holds. */
public final class KvmIrqchip {

    public static final StructLayout PIC = struct("kvm_pic_state",
            u8("last_irr"), u8("irr"), u8("imr"), u8("isr"), u8("priority_add"), u8("irq_base"),
            u8("read_reg_select"), u8("poll"), u8("special_mask"), u8("init_state"), u8("auto_eoi"),
            u8("rotate_on_auto_eoi"), u8("special_fully_nested_mode"), u8("init4"), u8("elcr"), u8("elcr_mask"));

    /** The redirection table entries are a union of {@code bits} and bit fields: kept as bits. */
    public static final StructLayout IOAPIC = struct("kvm_ioapic_state",
            u64("base_address"), u32("ioregsel"), u32("id"), u32("irr"), u32("pad"),
            array("redirtbl", 24, JAVA_LONG));

    public static final StructLayout LAYOUT = struct("kvm_irqchip",
            u32("chip_id"), u32("pad"),
            union("chip", array("dummy", 512, JAVA_BYTE), PIC.withName("pic"), IOAPIC.withName("ioapic")));

    private KvmIrqchip() {
    }
}
