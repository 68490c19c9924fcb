package dev.ferry.kvm;

import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * KVM's paravirtual features (CPUID leaf KVM_CPUID_FEATURES, EAX bits) that own an MSR or need the
 * in-kernel LAPIC. A guest may use a PV MSR only when its CPUID shows the feature, and KVM refuses
 * some of them (async page faults, PV EOI) on a vCPU without an in-kernel LAPIC even when set to 0:
 * so those features are hidden there, and the MSRs of hidden features are not migrated.
 */
public enum KvmPvFeature {
    /** kvmclock at the legacy MSRs. */
    CLOCKSOURCE(0, false, 0x11, 0x12),
    /** kvmclock at the KVM MSR range. */
    CLOCKSOURCE2(3, false, 0x4b56_4d00, 0x4b56_4d01),
    /** Asynchronous page faults. */
    ASYNC_PF(4, true, 0x4b56_4d02),
    /** Steal-time accounting. */
    STEAL_TIME(5, false, 0x4b56_4d03),
    /** Paravirtual end of interrupt. */
    PV_EOI(6, true, 0x4b56_4d04),
    /** Paravirtual spinlock kick (KVM_HC_KICK_CPU). */
    PV_UNHALT(7, true),
    /** Paravirtual TLB flush. */
    PV_TLB_FLUSH(9, true),
    /** Asynchronous page faults delivered as VM exits to a nested hypervisor. */
    ASYNC_PF_VMEXIT(10, true),
    /** Paravirtual IPIs by hypercall. */
    PV_SEND_IPI(11, true),
    /** Host-side halt polling control. */
    POLL_CONTROL(12, false, 0x4b56_4d05),
    /** Yield to a preempted vCPU by hypercall. */
    PV_SCHED_YIELD(13, true),
    /** Asynchronous page faults' "page ready" by interrupt. */
    ASYNC_PF_INT(14, true, 0x4b56_4d06, 0x4b56_4d07),
    /** The guest tells whether it may be migrated. */
    MIGRATION_CONTROL(17, false, 0x4b56_4d08);

    private final int bit;
    private final boolean needsLapic;
    private final Set<Integer> msrs;

    KvmPvFeature(int bit, boolean needsLapic, Integer... msrs) {
        this.bit = bit;
        this.needsLapic = needsLapic;
        this.msrs = Set.of(msrs);
    }

    /**
     * Its bit in KVM_CPUID_FEATURES EAX.
     *
     * @return a single-bit mask
     */
    public int mask() {
        return 1 << bit;
    }

    /**
     * True when KVM accepts the feature only with an in-kernel LAPIC.
     *
     * @return true if it needs the in-kernel LAPIC
     */
    public boolean needsLapic() {
        return needsLapic;
    }

    /**
     * The feature that owns PV MSR {@code index}, if it is one.
     *
     * @param index an MSR number
     * @return the feature, or empty
     */
    public static Optional<KvmPvFeature> owning(int index) {
        for (KvmPvFeature feature : values()) {
            if (feature.msrs.contains(index)) {
                return Optional.of(feature);
            }
        }
        return Optional.empty();
    }

    /** The features that need an in-kernel LAPIC, as a KVM_CPUID_FEATURES EAX mask. */
    static int lapicMask() {
        return List.of(values()).stream().filter(KvmPvFeature::needsLapic).mapToInt(KvmPvFeature::mask)
                .reduce(0, (a, b) -> a | b);
    }
}
