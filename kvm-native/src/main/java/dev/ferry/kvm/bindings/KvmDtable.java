package dev.ferry.kvm.bindings;

import static dev.ferry.kvm.bindings.CLayouts.array;
import static dev.ferry.kvm.bindings.CLayouts.struct;
import static dev.ferry.kvm.bindings.CLayouts.u16;
import static dev.ferry.kvm.bindings.CLayouts.u64;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.StructLayout;

/** {@code struct kvm_dtable}: GDTR or IDTR. */
public final class KvmDtable {

    public static final StructLayout LAYOUT = struct("kvm_dtable",
            u64("base"), u16("limit"), array("padding", 3, JAVA_SHORT));

    private KvmDtable() {
    }
}
