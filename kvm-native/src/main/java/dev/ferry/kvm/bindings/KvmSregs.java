package dev.ferry.kvm.bindings;

import static dev.ferry.kvm.bindings.CLayouts.array;
import static dev.ferry.kvm.bindings.CLayouts.struct;
import static dev.ferry.kvm.bindings.CLayouts.u64;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.StructLayout;

/** {@code struct kvm_sregs}: segments, descriptor tables, control registers, EFER, APIC base. */
public final class KvmSregs {

    /** Segment registers in header order. */
    public static final String[] SEGMENTS = {"cs", "ds", "es", "fs", "gs", "ss", "tr", "ldt"};

    public static final StructLayout LAYOUT = struct("kvm_sregs",
            KvmSegment.LAYOUT.withName("cs"), KvmSegment.LAYOUT.withName("ds"),
            KvmSegment.LAYOUT.withName("es"), KvmSegment.LAYOUT.withName("fs"),
            KvmSegment.LAYOUT.withName("gs"), KvmSegment.LAYOUT.withName("ss"),
            KvmSegment.LAYOUT.withName("tr"), KvmSegment.LAYOUT.withName("ldt"),
            KvmDtable.LAYOUT.withName("gdt"), KvmDtable.LAYOUT.withName("idt"),
            u64("cr0"), u64("cr2"), u64("cr3"), u64("cr4"), u64("cr8"), u64("efer"), u64("apic_base"),
            array("interrupt_bitmap", 4, JAVA_LONG));

    private KvmSregs() {
    }
}
