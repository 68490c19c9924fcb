package dev.ferry.kvm.bindings;

import static dev.ferry.kvm.bindings.CLayouts.array;
import static dev.ferry.kvm.bindings.CLayouts.struct;
import static dev.ferry.kvm.bindings.CLayouts.u32;
import static dev.ferry.kvm.bindings.CLayouts.u64;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

/** {@code struct kvm_ioeventfd} (KVM_IOEVENTFD) and {@code struct kvm_irqfd} (KVM_IRQFD). */
public final class KvmIoeventfd {

    public static final StructLayout LAYOUT = struct("kvm_ioeventfd",
            u64("datamatch"), u64("addr"), u32("len"), u32("fd"), u32("flags"), array("pad", 36, JAVA_BYTE));

    public static final StructLayout IRQFD = struct("kvm_irqfd",
            u32("fd"), u32("gsi"), u32("flags"), u32("resamplefd"), array("pad", 16, JAVA_BYTE));

    private KvmIoeventfd() {
    }

    public static void ioeventfd(MemorySegment s, long datamatch, long addr, int len, int fd, int flags) {
        s.set(JAVA_LONG, 0, datamatch);
        s.set(JAVA_LONG, 8, addr);
        s.set(JAVA_INT, 16, len);
        s.set(JAVA_INT, 20, fd);
        s.set(JAVA_INT, 24, flags);
    }

    public static void irqfd(MemorySegment s, int fd, int gsi, int flags) {
        s.set(JAVA_INT, 0, fd);
        s.set(JAVA_INT, 4, gsi);
        s.set(JAVA_INT, 8, flags);
    }
}
