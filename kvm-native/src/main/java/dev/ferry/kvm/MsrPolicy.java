package dev.ferry.kvm;

import java.util.List;

/**
 * Which of KVM_GET_MSR_INDEX_LIST's MSRs a vCPU migrates, as QEMU decides it: KVM lists every MSR
 * it can emulate, but a guest owns a paravirtual MSR only when its CPUID exposes the feature, and
 * the destination may refuse the others (KVM does refuse e.g. async-PF MSRs without a LAPIC).
 */
public final class MsrPolicy {

    /** Hyper-V's synthetic MSRs (guest OS id, hypercall, reference counter, SynIC, timers, crash, ...). */
    private static final int HYPERV_FIRST = 0x4000_0000;
    private static final int HYPERV_LAST = 0x4000_01ff;

    private MsrPolicy() {
    }

    /**
     * The MSRs of {@code listed} that a guest with {@code cpuid} may own, in the listed order.
     *
     * @param listed KVM_GET_MSR_INDEX_LIST
     * @param cpuid the guest's CPUID
     * @return the migratable MSRs
     */
    public static List<Integer> migratable(List<Integer> listed, List<CpuidEntry> cpuid) {
        int pv = GuestCpuid.kvmFeatures(cpuid);
        boolean hyperV = GuestCpuid.hyperV(cpuid);
        return listed.stream().filter(index -> owned(index, pv, hyperV)).toList();
    }

    private static boolean owned(int index, int pvFeatures, boolean hyperV) {
        if (Integer.compareUnsigned(index, HYPERV_FIRST) >= 0 && Integer.compareUnsigned(index, HYPERV_LAST) <= 0) {
            return hyperV;
        }
        return KvmPvFeature.owning(index).map(feature -> (pvFeatures & feature.mask()) != 0).orElse(true);
    }
}
