package dev.ferry.kvm.bindings;

import static dev.ferry.kvm.bindings.CLayouts.ANON;
import static dev.ferry.kvm.bindings.CLayouts.pointer;
import static dev.ferry.kvm.bindings.CLayouts.struct;
import static dev.ferry.kvm.bindings.CLayouts.u32;
import static dev.ferry.kvm.bindings.CLayouts.u64;
import static dev.ferry.kvm.bindings.CLayouts.union;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

/** {@code struct kvm_dirty_log} (KVM_GET_DIRTY_LOG) and {@code struct kvm_clear_dirty_log} (KVM_CLEAR_DIRTY_LOG). */
public final class KvmDirtyLog {

    public static final StructLayout LAYOUT = struct("kvm_dirty_log",
            u32("slot"), u32("padding1"), union(ANON, pointer("dirty_bitmap"), u64("padding2")));

    public static final StructLayout CLEAR = struct("kvm_clear_dirty_log",
            u32("slot"), u32("num_pages"), u64("first_page"), union(ANON, pointer("dirty_bitmap"), u64("padding2")));

    private KvmDirtyLog() {
    }

    public static void get(MemorySegment s, int slot, MemorySegment bitmap) {
        s.set(JAVA_INT, 0, slot);
        s.set(ADDRESS, 8, bitmap);
    }

    public static void clear(MemorySegment s, int slot, long firstPage, int numPages, MemorySegment bitmap) {
        s.set(JAVA_INT, 0, slot);
        s.set(JAVA_INT, 4, numPages);
        s.set(JAVA_LONG, 8, firstPage);
        s.set(ADDRESS, 16, bitmap);
    }
}
