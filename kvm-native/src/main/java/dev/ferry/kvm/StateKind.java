package dev.ferry.kvm;

/** The kinds of vCPU and VM state KVM can get and set, as {@link HostSupport} reports them. */
public enum StateKind {
    /** General-purpose registers: {@link Regs}. */
    REGS,
    /** Segment and control registers: {@link Sregs}. */
    SREGS,
    /** x87 and SSE state: {@link Fpu}. */
    FPU,
    /** The xsave area: {@link Xsave}. */
    XSAVE,
    /** Extended control registers: {@link Xcrs}. */
    XCRS,
    /** Model-specific registers: {@link Msr}. */
    MSRS,
    /** The guest's CPUID: {@link CpuidEntry}. */
    CPUID,
    /** The multiprocessing state: {@link MpState}. */
    MP_STATE,
    /** The in-kernel local APIC: {@link Lapic}. */
    LAPIC,
    /** Pending exceptions and interrupts: {@link VcpuEvents}. */
    VCPU_EVENTS,
    /** Debug registers: {@link DebugRegs}. */
    DEBUGREGS,
    /** The in-kernel PICs and IOAPIC: {@link Irqchip}. */
    IRQCHIP,
    /** The in-kernel PIT: {@link Pit2}. */
    PIT2,
    /** The kvmclock: {@link ClockData}. */
    CLOCK
}
