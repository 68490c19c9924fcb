package dev.ferry.kvm.bindings;

import static dev.ferry.kvm.bindings.CLayouts.array;
import static dev.ferry.kvm.bindings.CLayouts.struct;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.StructLayout;

/**
 * {@code struct kvm_xsave}: 4096 bytes of xsave area; with KVM_CAP_XSAVE2 the flexible
 * {@code extra} array makes it as long as that capability's value.
 */
public final class KvmXsave {

    public static final StructLayout LAYOUT = struct("kvm_xsave",
            array("region", 1024, JAVA_INT), array("extra", 0, JAVA_INT));

    private KvmXsave() {
    }
}
