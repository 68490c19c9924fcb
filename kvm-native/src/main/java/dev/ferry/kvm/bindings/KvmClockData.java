package dev.ferry.kvm.bindings;

import static dev.ferry.kvm.bindings.CLayouts.array;
import static dev.ferry.kvm.bindings.CLayouts.offset;
import static dev.ferry.kvm.bindings.CLayouts.struct;
import static dev.ferry.kvm.bindings.CLayouts.u32;
import static dev.ferry.kvm.bindings.CLayouts.u64;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

/** {@code struct kvm_clock_data} (KVM_GET/SET_CLOCK): the kvmclock value of the VM. */
public final class KvmClockData {

    public static final StructLayout LAYOUT = struct("kvm_clock_data",
            u64("clock"), u32("flags"), u32("pad0"), u64("realtime"), u64("host_tsc"), array("pad", 4, JAVA_INT));

    private static final long CLOCK = offset(LAYOUT, "clock");
    private static final long FLAGS = offset(LAYOUT, "flags");
    private static final long REALTIME = offset(LAYOUT, "realtime");
    private static final long HOST_TSC = offset(LAYOUT, "host_tsc");

    private KvmClockData() {
    }

    public static long clock(MemorySegment s) {
        return s.get(JAVA_LONG, CLOCK);
    }

    public static int flags(MemorySegment s) {
        return s.get(JAVA_INT, FLAGS);
    }

    public static long realtime(MemorySegment s) {
        return s.get(JAVA_LONG, REALTIME);
    }

    public static long hostTsc(MemorySegment s) {
        return s.get(JAVA_LONG, HOST_TSC);
    }

    public static void set(MemorySegment s, long clock, int flags, long realtime) {
        s.set(JAVA_LONG, CLOCK, clock);
        s.set(JAVA_INT, FLAGS, flags);
        s.set(JAVA_LONG, REALTIME, realtime);
    }
}
