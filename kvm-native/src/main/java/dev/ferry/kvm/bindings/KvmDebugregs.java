package dev.ferry.kvm.bindings;

import static dev.ferry.kvm.bindings.CLayouts.array;
import static dev.ferry.kvm.bindings.CLayouts.struct;
import static dev.ferry.kvm.bindings.CLayouts.u64;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.StructLayout;

/** {@code struct kvm_debugregs}: DR0-3, DR6, DR7. */
public final class KvmDebugregs {

    public static final StructLayout LAYOUT = struct("kvm_debugregs",
            array("db", 4, JAVA_LONG), u64("dr6"), u64("dr7"), u64("flags"), array("reserved", 9, JAVA_LONG));

    private KvmDebugregs() {
    }
}
