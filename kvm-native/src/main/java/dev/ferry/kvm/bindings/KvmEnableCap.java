package dev.ferry.kvm.bindings;

import static dev.ferry.kvm.bindings.CLayouts.array;
import static dev.ferry.kvm.bindings.CLayouts.struct;
import static dev.ferry.kvm.bindings.CLayouts.u32;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

/** {@code struct kvm_enable_cap} (KVM_ENABLE_CAP). */
public final class KvmEnableCap {

    public static final StructLayout LAYOUT = struct("kvm_enable_cap",
            u32("cap"), u32("flags"), array("args", 4, JAVA_LONG), array("pad", 64, JAVA_BYTE));

    private KvmEnableCap() {
    }

    public static void set(MemorySegment s, int cap, long arg0) {
        s.set(JAVA_INT, 0, cap);
        s.set(JAVA_LONG, 8, arg0);
    }
}
