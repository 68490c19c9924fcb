package dev.ferry.kvm;

import dev.ferry.kvm.bindings.KvmConstants;

/**
 * KVM capabilities Ferry relies on, probed with KVM_CHECK_EXTENSION ({@link Kvm#check}) before
 * the ioctls they gate are used. The value KVM returns is 0 when absent; some carry a number
 * (NR_MEMSLOTS, MAX_VCPUS, XSAVE2's buffer size).
 */
public enum Capability {
    /** The in-kernel PIC, IOAPIC and LAPIC (KVM_CREATE_IRQCHIP). */
    IRQCHIP(KvmConstants.KVM_CAP_IRQCHIP),
    /** HLT exits to the VMM, or waits in the kernel with an irqchip. */
    HLT(KvmConstants.KVM_CAP_HLT),
    /** Guest memory from user-space mappings (KVM_SET_USER_MEMORY_REGION). */
    USER_MEMORY(KvmConstants.KVM_CAP_USER_MEMORY),
    /** KVM_SET_TSS_ADDR, which Intel needs for real mode. */
    SET_TSS_ADDR(KvmConstants.KVM_CAP_SET_TSS_ADDR),
    /** KVM_GET_SUPPORTED_CPUID and KVM_SET_CPUID2. */
    EXT_CPUID(KvmConstants.KVM_CAP_EXT_CPUID),
    /** The recommended number of vCPUs per VM. */
    NR_VCPUS(KvmConstants.KVM_CAP_NR_VCPUS),
    /** The number of memory slots per VM. */
    NR_MEMSLOTS(KvmConstants.KVM_CAP_NR_MEMSLOTS),
    /** KVM_GET/SET_MP_STATE. */
    MP_STATE(KvmConstants.KVM_CAP_MP_STATE),
    /** KVM follows changes to the host mappings behind guest memory. */
    SYNC_MMU(KvmConstants.KVM_CAP_SYNC_MMU),
    /** KVM_NMI. */
    USER_NMI(KvmConstants.KVM_CAP_USER_NMI),
    /** GSI routing (KVM_SET_GSI_ROUTING). */
    IRQ_ROUTING(KvmConstants.KVM_CAP_IRQ_ROUTING),
    /** KVM_IRQFD: an eventfd that raises a GSI. */
    IRQFD(KvmConstants.KVM_CAP_IRQFD),
    /** The in-kernel PIT (KVM_CREATE_PIT2). */
    PIT2(KvmConstants.KVM_CAP_PIT2),
    /** KVM_GET/SET_PIT2. */
    PIT_STATE2(KvmConstants.KVM_CAP_PIT_STATE2),
    /** KVM_IOEVENTFD: a guest write that signals an eventfd. */
    IOEVENTFD(KvmConstants.KVM_CAP_IOEVENTFD),
    /** KVM_SET_IDENTITY_MAP_ADDR (Intel). */
    SET_IDENTITY_MAP_ADDR(KvmConstants.KVM_CAP_SET_IDENTITY_MAP_ADDR),
    /** KVM_GET/SET_CLOCK: the kvmclock carried through migration. */
    ADJUST_CLOCK(KvmConstants.KVM_CAP_ADJUST_CLOCK),
    /** Extra data in KVM_EXIT_INTERNAL_ERROR. */
    INTERNAL_ERROR_DATA(KvmConstants.KVM_CAP_INTERNAL_ERROR_DATA),
    /** KVM_GET/SET_VCPU_EVENTS. */
    VCPU_EVENTS(KvmConstants.KVM_CAP_VCPU_EVENTS),
    /** KVM_GET/SET_DEBUGREGS. */
    DEBUGREGS(KvmConstants.KVM_CAP_DEBUGREGS),
    /** KVM_GET/SET_XSAVE. */
    XSAVE(KvmConstants.KVM_CAP_XSAVE),
    /** KVM_GET/SET_XCRS. */
    XCRS(KvmConstants.KVM_CAP_XCRS),
    /** KVM_SET_TSC_KHZ: TSC scaling, to keep a migrated guest's TSC rate. */
    TSC_CONTROL(KvmConstants.KVM_CAP_TSC_CONTROL),
    /** KVM_GET_TSC_KHZ. */
    GET_TSC_KHZ(KvmConstants.KVM_CAP_GET_TSC_KHZ),
    /** The most vCPUs a VM may have. */
    MAX_VCPUS(KvmConstants.KVM_CAP_MAX_VCPUS),
    /** The in-kernel LAPIC timer has TSC-deadline mode (not in KVM_GET_SUPPORTED_CPUID: the VMM offers it). */
    TSC_DEADLINE_TIMER(KvmConstants.KVM_CAP_TSC_DEADLINE_TIMER),
    /** KVM_KVMCLOCK_CTRL: telling a kvmclock guest that the VMM stopped it. */
    KVMCLOCK_CTRL(KvmConstants.KVM_CAP_KVMCLOCK_CTRL),
    /** KVM_SIGNAL_MSI. */
    SIGNAL_MSI(KvmConstants.KVM_CAP_SIGNAL_MSI),
    /** Read-only memory slots (KVM_MEM_READONLY). */
    READONLY_MEM(KvmConstants.KVM_CAP_READONLY_MEM),
    /** Ioeventfds of length 0, matching writes of any size. */
    IOEVENTFD_ANY_LENGTH(KvmConstants.KVM_CAP_IOEVENTFD_ANY_LENGTH),
    /** kvm_run.immediate_exit: a kick that cannot be lost. */
    IMMEDIATE_EXIT(KvmConstants.KVM_CAP_IMMEDIATE_EXIT),
    /** KVM_GET_MSR_FEATURE_INDEX_LIST and feature MSRs on the system fd. */
    GET_MSR_FEATURES(KvmConstants.KVM_CAP_GET_MSR_FEATURES),
    /** KVM_GET/SET_NESTED_STATE. */
    NESTED_STATE(KvmConstants.KVM_CAP_NESTED_STATE),
    /** Manual dirty-log protect and KVM_CLEAR_DIRTY_LOG. */
    MANUAL_DIRTY_LOG_PROTECT2(KvmConstants.KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2),
    /** A dirty ring per vCPU instead of the dirty-log bitmap. */
    DIRTY_LOG_RING(KvmConstants.KVM_CAP_DIRTY_LOG_RING),
    /** KVM_GET/SET_SREGS2. */
    SREGS2(KvmConstants.KVM_CAP_SREGS2),
    /** KVM_GET_XSAVE2; the value is the buffer size it needs. */
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

    /**
     * The KVM_CAP_* number.
     *
     * @return the number KVM_CHECK_EXTENSION takes
     */
    public int number() {
        return number;
    }
}
