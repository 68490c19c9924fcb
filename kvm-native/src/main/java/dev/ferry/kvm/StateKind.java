package dev.ferry.kvm;

/** The kinds of vCPU and VM state KVM can get and set, as {@link HostSupport} reports them. */
public enum StateKind {
    REGS, SREGS, FPU, XSAVE, XCRS, MSRS, CPUID, MP_STATE, LAPIC, VCPU_EVENTS, DEBUGREGS, IRQCHIP, PIT2, CLOCK
}
