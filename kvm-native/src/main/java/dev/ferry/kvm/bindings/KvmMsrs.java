package dev.ferry.kvm.bindings;

import static dev.ferry.kvm.bindings.CLayouts.array;
import static dev.ferry.kvm.bindings.CLayouts.offset;
import static dev.ferry.kvm.bindings.CLayouts.struct;
import static dev.ferry.kvm.bindings.CLayouts.u32;
import static dev.ferry.kvm.bindings.CLayouts.u64;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;

/** {@code struct kvm_msrs} followed by {@code struct kvm_msr_entry entries[nmsrs]}. */
public final class KvmMsrs {

    public static final StructLayout ENTRY = struct("kvm_msr_entry", u32("index"), u32("reserved"), u64("data"));

    public static final StructLayout LAYOUT = struct("kvm_msrs", u32("nmsrs"), u32("pad"), array("entries", 0, ENTRY));

    private static final long ENTRIES = offset(LAYOUT, "entries");

    private KvmMsrs() {
    }

    /** A zeroed kvm_msrs with room for {@code n} entries and nmsrs = n. */
    public static MemorySegment allocate(SegmentAllocator allocator, int n) {
        MemorySegment s = allocator.allocate(ENTRIES + n * ENTRY.byteSize(), LAYOUT.byteAlignment());
        s.set(JAVA_INT, 0, n);
        return s;
    }

    public static int index(MemorySegment s, int i) {
        return s.get(JAVA_INT, ENTRIES + i * ENTRY.byteSize());
    }

    public static long data(MemorySegment s, int i) {
        return s.get(JAVA_LONG, ENTRIES + i * ENTRY.byteSize() + 8);
    }

    public static void entry(MemorySegment s, int i, int index, long data) {
        s.set(JAVA_INT, ENTRIES + i * ENTRY.byteSize(), index);
        s.set(JAVA_LONG, ENTRIES + i * ENTRY.byteSize() + 8, data);
    }
}
