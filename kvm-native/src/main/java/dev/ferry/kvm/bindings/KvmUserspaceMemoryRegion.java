package dev.ferry.kvm.bindings;

import static dev.ferry.kvm.bindings.CLayouts.struct;
import static dev.ferry.kvm.bindings.CLayouts.u32;
import static dev.ferry.kvm.bindings.CLayouts.u64;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

/** {@code struct kvm_userspace_memory_region} (KVM_SET_USER_MEMORY_REGION). */
public final class KvmUserspaceMemoryRegion {

    public static final StructLayout LAYOUT = struct("kvm_userspace_memory_region",
            u32("slot"), u32("flags"), u64("guest_phys_addr"), u64("memory_size"), u64("userspace_addr"));

    private KvmUserspaceMemoryRegion() {
    }

    /** Fills every field of {@code s}. */
    public static void set(MemorySegment s, int slot, int flags, long gpa, long size, long userAddress) {
        s.set(JAVA_INT, 0, slot);
        s.set(JAVA_INT, 4, flags);
        s.set(JAVA_LONG, 8, gpa);
        s.set(JAVA_LONG, 16, size);
        s.set(JAVA_LONG, 24, userAddress);
    }
}
