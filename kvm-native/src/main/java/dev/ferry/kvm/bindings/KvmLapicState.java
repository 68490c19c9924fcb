package dev.ferry.kvm.bindings;

import static dev.ferry.kvm.bindings.CLayouts.array;
import static dev.ferry.kvm.bindings.CLayouts.struct;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import java.lang.foreign.StructLayout;

/** {@code struct kvm_lapic_state}: the local APIC's 1 KiB register page. */
public final class KvmLapicState {

    public static final StructLayout LAYOUT = struct("kvm_lapic_state", array("regs", 1024, JAVA_BYTE));

    private KvmLapicState() {
    }
}
