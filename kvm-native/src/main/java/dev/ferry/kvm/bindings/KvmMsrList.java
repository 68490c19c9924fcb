package dev.ferry.kvm.bindings;

import static dev.ferry.kvm.bindings.CLayouts.array;
import static dev.ferry.kvm.bindings.CLayouts.offset;
import static dev.ferry.kvm.bindings.CLayouts.struct;
import static dev.ferry.kvm.bindings.CLayouts.u32;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;

/** {@code struct kvm_msr_list}: nmsrs then {@code __u32 indices[nmsrs]} (KVM_GET_MSR_INDEX_LIST). */
public final class KvmMsrList {

    public static final StructLayout LAYOUT = struct("kvm_msr_list", u32("nmsrs"), array("indices", 0, JAVA_INT));

    private static final long INDICES = offset(LAYOUT, "indices");

    private KvmMsrList() {
    }

    /** A zeroed list with room for {@code capacity} indices, nmsrs = capacity. */
    public static MemorySegment allocate(SegmentAllocator allocator, int capacity) {
        MemorySegment s = allocator.allocate(INDICES + 4L * capacity, 4);
        s.set(JAVA_INT, 0, capacity);
        return s;
    }

    public static int nmsrs(MemorySegment s) {
        return s.get(JAVA_INT, 0);
    }

    public static int index(MemorySegment s, int i) {
        return s.get(JAVA_INT, INDICES + 4L * i);
    }
}
