package dev.ferry.kvm.bindings;

import static dev.ferry.kvm.bindings.CLayouts.array;
import static dev.ferry.kvm.bindings.CLayouts.offset;
import static dev.ferry.kvm.bindings.CLayouts.struct;
import static dev.ferry.kvm.bindings.CLayouts.u32;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;

/** {@code struct kvm_cpuid2} followed by {@code struct kvm_cpuid_entry2 entries[nent]}. */
public final class KvmCpuid2 {

    public static final StructLayout ENTRY = struct("kvm_cpuid_entry2",
            u32("function"), u32("index"), u32("flags"), u32("eax"), u32("ebx"), u32("ecx"), u32("edx"),
            array("padding", 3, JAVA_INT));

    public static final StructLayout LAYOUT = struct("kvm_cpuid2", u32("nent"), u32("padding"), array("entries", 0, ENTRY));

    private static final long ENTRIES = offset(LAYOUT, "entries");
    /** Words of an entry that carry data: function, index, flags, eax, ebx, ecx, edx. */
    public static final int ENTRY_WORDS = 7;

    private KvmCpuid2() {
    }

    /** A zeroed kvm_cpuid2 with room for {@code n} entries and nent = n. */
    public static MemorySegment allocate(SegmentAllocator allocator, int n) {
        MemorySegment s = allocator.allocate(ENTRIES + n * ENTRY.byteSize(), 4);
        s.set(JAVA_INT, 0, n);
        return s;
    }

    public static int nent(MemorySegment s) {
        return s.get(JAVA_INT, 0);
    }

    /** Word {@code w} (0 = function ... 6 = edx) of entry {@code i}. */
    public static int word(MemorySegment s, int i, int w) {
        return s.get(JAVA_INT, ENTRIES + i * ENTRY.byteSize() + 4L * w);
    }

    public static void word(MemorySegment s, int i, int w, int value) {
        s.set(JAVA_INT, ENTRIES + i * ENTRY.byteSize() + 4L * w, value);
    }
}
