package dev.ferry.kvm.bindings;

import static dev.ferry.kvm.bindings.CLayouts.array;
import static dev.ferry.kvm.bindings.CLayouts.struct;
import static dev.ferry.kvm.bindings.CLayouts.u32;
import static dev.ferry.kvm.bindings.CLayouts.u64;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.StructLayout;

/** {@code struct kvm_xcrs} with its {@code struct kvm_xcr} entries. */
public final class KvmXcrs {

    public static final StructLayout XCR = struct("kvm_xcr", u32("xcr"), u32("reserved"), u64("value"));

    public static final StructLayout LAYOUT = struct("kvm_xcrs",
            u32("nr_xcrs"), u32("flags"), array("xcrs", 16, XCR), array("padding", 16, JAVA_LONG));

    private KvmXcrs() {
    }
}
