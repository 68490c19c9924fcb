package dev.ferry.kvm.bindings;

import static dev.ferry.kvm.bindings.CLayouts.array;
import static dev.ferry.kvm.bindings.CLayouts.pointer;
import static dev.ferry.kvm.bindings.CLayouts.struct;
import static dev.ferry.kvm.bindings.CLayouts.u32;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.StructLayout;

/** glibc's x86-64 {@code struct sigaction} (the libc one, not the kernel's). */
public final class Sigaction {

    public static final StructLayout LAYOUT = struct("sigaction",
            pointer("sa_handler"), array("sa_mask", 16, JAVA_LONG), u32("sa_flags"), pointer("sa_restorer"));

    private Sigaction() {
    }
}
