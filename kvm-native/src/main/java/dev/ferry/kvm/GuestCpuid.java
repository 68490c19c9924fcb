package dev.ferry.kvm;

import java.util.List;
import java.util.OptionalInt;

/**
 * The CPUID a Ferry guest sees, and what it says about the hypervisor interfaces it may use: KVM's
 * supported CPUID, less the KVM PV features that need an in-kernel LAPIC when the VM has none.
 * Hyper-V enlightenments are never offered (KVM_GET_SUPPORTED_CPUID does not offer them either).
 */
public final class GuestCpuid {

    /** Where hypervisor leaves start; KVM's own move up by 0x100 when Hyper-V's take this place. */
    private static final int HYPERVISOR_BASE = 0x4000_0000;
    private static final int KVM_SIGNATURE_EBX = 0x4b4d_564b; // "KVMK"
    private static final int HYPERV_SIGNATURE_EBX = 0x7263_694d; // "Micr"
    private static final int HYPERVISOR_BIT = 1 << 31;
    private static final int TSC_DEADLINE_BIT = 1 << 24;

    private GuestCpuid() {
    }

    /**
     * {@code supported} (from {@link Kvm#supportedCpuid()}) as a guest of a VM with or without an in-kernel
     * LAPIC gets it. With the in-kernel LAPIC the guest also learns that its timer has TSC-deadline
     * mode when KVM emulates it ({@link Capability#TSC_DEADLINE_TIMER}), which KVM_GET_SUPPORTED_CPUID
     * leaves to the VMM to say, as QEMU does: Linux then programs its timer in TSC ticks at the
     * rate kvmclock reports instead of calibrating the LAPIC timer against the PIT, a measurement
     * whose outcome on a slow host (the nested KVM) decided whether the LAPIC timer was used at all.
     *
     * @param supported the host's supported CPUID
     * @param lapicInKernel whether the VM has the in-kernel irqchip
     * @param tscDeadline whether KVM has {@link Capability#TSC_DEADLINE_TIMER}
     * @return the guest's CPUID, without the PV features it may not use
     */
    public static List<CpuidEntry> forVm(List<CpuidEntry> supported, boolean lapicInKernel, boolean tscDeadline) {
        OptionalInt base = kvmBase(supported);
        if (lapicInKernel) {
            return tscDeadline ? withLeaf1Ecx(supported, TSC_DEADLINE_BIT) : List.copyOf(supported);
        }
        if (base.isEmpty()) {
            return List.copyOf(supported);
        }
        int features = base.getAsInt() + 1;
        return supported.stream().map(e -> e.function() != features ? e
                : new CpuidEntry(e.function(), e.index(), e.flags(), e.eax() & ~KvmPvFeature.lapicMask(), e.ebx(),
                        e.ecx(), e.edx())).toList();
    }

    /**
     * {@code cpuid} for the vCPU with APIC id {@code apicId}: KVM_GET_SUPPORTED_CPUID reports the
     * APIC id of whichever host CPU ran the ioctl (leaf 1 EBX[31:24], the x2APIC id of leaves 0xB
     * and 0x1F, AMD's extended APIC id in 0x8000001E), so each vCPU gets its own, as QEMU does;
     * two VMs built alike then show their guests the same CPUID.
     *
     * @param cpuid the guest's CPUID
     * @param apicId the vCPU's APIC id
     * @return a copy with the APIC ids replaced
     */
    public static List<CpuidEntry> forVcpu(List<CpuidEntry> cpuid, int apicId) {
        return cpuid.stream().map(e -> switch (e.function()) {
            case 1 -> new CpuidEntry(e.function(), e.index(), e.flags(), e.eax(), (e.ebx() & 0x00ff_ffff) | (apicId << 24),
                    e.ecx(), e.edx());
            case 0xb, 0x1f -> new CpuidEntry(e.function(), e.index(), e.flags(), e.eax(), e.ebx(), e.ecx(), apicId);
            case 0x8000_001e -> new CpuidEntry(e.function(), e.index(), e.flags(), apicId, e.ebx(), e.ecx(), e.edx());
            default -> e;
        }).toList();
    }

    /**
     * {@code cpuid} with the "running under a hypervisor" bit (leaf 1 ECX bit 31) set, which KVM
     * does not set itself: Linux looks for KVM's leaves (kvmclock, PV features) only when it is.
     *
     * @param cpuid the guest's CPUID
     * @return the same entries with the bit set
     */
    public static List<CpuidEntry> announcingHypervisor(List<CpuidEntry> cpuid) {
        return withLeaf1Ecx(cpuid, HYPERVISOR_BIT);
    }

    private static List<CpuidEntry> withLeaf1Ecx(List<CpuidEntry> cpuid, int bits) {
        return cpuid.stream().map(e -> e.function() != 1 ? e
                : new CpuidEntry(e.function(), e.index(), e.flags(), e.eax(), e.ebx(), e.ecx() | bits, e.edx()))
                .toList();
    }

    /**
     * KVM_CPUID_FEATURES EAX as {@code cpuid} shows it; 0 when it has no KVM leaves.
     *
     * @param cpuid a CPUID table
     * @return the feature bits, or 0
     */
    public static int kvmFeatures(List<CpuidEntry> cpuid) {
        OptionalInt base = kvmBase(cpuid);
        if (base.isEmpty()) {
            return 0;
        }
        return cpuid.stream().filter(e -> e.function() == base.getAsInt() + 1).mapToInt(CpuidEntry::eax).findFirst()
                .orElse(0);
    }

    /**
     * True when {@code cpuid} presents Hyper-V ("Microsoft Hv" at the first hypervisor leaf).
     *
     * @param cpuid a CPUID table
     * @return true if the hypervisor signature is Hyper-V's
     */
    public static boolean hyperV(List<CpuidEntry> cpuid) {
        return cpuid.stream().anyMatch(e -> e.function() == HYPERVISOR_BASE && e.ebx() == HYPERV_SIGNATURE_EBX);
    }

    private static OptionalInt kvmBase(List<CpuidEntry> cpuid) {
        return cpuid.stream().filter(e -> (e.function() == HYPERVISOR_BASE || e.function() == HYPERVISOR_BASE + 0x100)
                && e.ebx() == KVM_SIGNATURE_EBX).mapToInt(CpuidEntry::function).findFirst();
    }
}
