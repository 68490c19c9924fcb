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
    CLOCKSOURCE(0, false, 0x11, 0x12),
    CLOCKSOURCE2(3, false, 0x4b56_4d00, 0x4b56_4d01),
    ASYNC_PF(4, true, 0x4b56_4d02),
    STEAL_TIME(5, false, 0x4b56_4d03),
    PV_EOI(6, true, 0x4b56_4d04),
    PV_UNHALT(7, true),
    PV_TLB_FLUSH(9, true),
    ASYNC_PF_VMEXIT(10, true),
    PV_SEND_IPI(11, true),
    POLL_CONTROL(12, false, 0x4b56_4d05),
    PV_SCHED_YIELD(13, true),
    ASYNC_PF_INT(14, true, 0x4b56_4d06, 0x4b56_4d07),
    MIGRATION_CONTROL(17, false, 0x4b56_4d08);

    private final int bit;
    private final boolean needsLapic;
    private final Set<Integer> msrs;

    KvmPvFeature(int bit, boolean needsLapic, Integer... msrs) {
        this.bit = bit;
        this.needsLapic = needsLapic;
        this.msrs = Set.of(msrs);
    }

    /** Its bit in KVM_CPUID_FEATURES EAX. */
    public int mask() {
        return 1 << bit;
    }

    /** True when KVM accepts the feature only with an in-kernel LAPIC. */
    public boolean needsLapic() {
        return needsLapic;
    }

    /** The feature that owns PV MSR {@code index}, if it is one. */
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
