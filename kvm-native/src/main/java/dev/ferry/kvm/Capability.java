package dev.ferry.kvm;

import dev.ferry.kvm.bindings.KvmConstants;

/**
 * KVM capabilities Ferry relies on, probed with KVM_CHECK_EXTENSION ({@link Kvm#check}) before
 * the ioctls they gate are used. The value KVM returns is 0 when absent; some carry a number
 * (NR_MEMSLOTS, MAX_VCPUS, XSAVE2's buffer size).
 */
public enum Capability {
    IRQCHIP(KvmConstants.KVM_CAP_IRQCHIP),
    HLT(KvmConstants.KVM_CAP_HLT),
    USER_MEMORY(KvmConstants.KVM_CAP_USER_MEMORY),
    SET_TSS_ADDR(KvmConstants.KVM_CAP_SET_TSS_ADDR),
    EXT_CPUID(KvmConstants.KVM_CAP_EXT_CPUID),
    NR_VCPUS(KvmConstants.KVM_CAP_NR_VCPUS),
    NR_MEMSLOTS(KvmConstants.KVM_CAP_NR_MEMSLOTS),
    MP_STATE(KvmConstants.KVM_CAP_MP_STATE),
    SYNC_MMU(KvmConstants.KVM_CAP_SYNC_MMU),
    USER_NMI(KvmConstants.KVM_CAP_USER_NMI),
    IRQ_ROUTING(KvmConstants.KVM_CAP_IRQ_ROUTING),
    IRQFD(KvmConstants.KVM_CAP_IRQFD),
    PIT2(KvmConstants.KVM_CAP_PIT2),
    PIT_STATE2(KvmConstants.KVM_CAP_PIT_STATE2),
    IOEVENTFD(KvmConstants.KVM_CAP_IOEVENTFD),
    SET_IDENTITY_MAP_ADDR(KvmConstants.KVM_CAP_SET_IDENTITY_MAP_ADDR),
    ADJUST_CLOCK(KvmConstants.KVM_CAP_ADJUST_CLOCK),
    INTERNAL_ERROR_DATA(KvmConstants.KVM_CAP_INTERNAL_ERROR_DATA),
    VCPU_EVENTS(KvmConstants.KVM_CAP_VCPU_EVENTS),
    DEBUGREGS(KvmConstants.KVM_CAP_DEBUGREGS),
    XSAVE(KvmConstants.KVM_CAP_XSAVE),
    XCRS(KvmConstants.KVM_CAP_XCRS),
    TSC_CONTROL(KvmConstants.KVM_CAP_TSC_CONTROL),
    GET_TSC_KHZ(KvmConstants.KVM_CAP_GET_TSC_KHZ),
    MAX_VCPUS(KvmConstants.KVM_CAP_MAX_VCPUS),
    SIGNAL_MSI(KvmConstants.KVM_CAP_SIGNAL_MSI),
    READONLY_MEM(KvmConstants.KVM_CAP_READONLY_MEM),
    IOEVENTFD_ANY_LENGTH(KvmConstants.KVM_CAP_IOEVENTFD_ANY_LENGTH),
    IMMEDIATE_EXIT(KvmConstants.KVM_CAP_IMMEDIATE_EXIT),
    GET_MSR_FEATURES(KvmConstants.KVM_CAP_GET_MSR_FEATURES),
    NESTED_STATE(KvmConstants.KVM_CAP_NESTED_STATE),
    MANUAL_DIRTY_LOG_PROTECT2(KvmConstants.KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2),
    DIRTY_LOG_RING(KvmConstants.KVM_CAP_DIRTY_LOG_RING),
    SREGS2(KvmConstants.KVM_CAP_SREGS2),
    XSAVE2(KvmConstants.KVM_CAP_XSAVE2);

    private final int number;

    Capability(int number) {
        this.number = number;
    }

    /**
     * Fails with one line when {@code value} (what KVM_CHECK_EXTENSION said) shows {@code capability}
     * absent, naming it and what needs it.
     */
    static void require(Capability capability, int value, String neededFor) {
        if (value <= 0) {
            throw new IllegalStateException("this host's KVM lacks KVM_CAP_" + capability.name() + ", which Ferry needs "
                    + neededFor);
        }
    }

    /** The KVM_CAP_* number. */
    public int number() {
        return number;
    }
}
