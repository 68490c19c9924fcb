package dev.ferry.kvm.bindings;

import static dev.ferry.kvm.bindings.CLayouts.struct;
import static dev.ferry.kvm.bindings.CLayouts.u32;

import java.lang.foreign.StructLayout;

/** {@code struct kvm_mp_state}. */
public final class KvmMpState {

    public static final StructLayout LAYOUT = struct("kvm_mp_state", u32("mp_state"));

    private KvmMpState() {
    }
}
