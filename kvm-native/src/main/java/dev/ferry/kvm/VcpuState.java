package dev.ferry.kvm;

import java.util.List;

/**
 * Everything KVM holds for one vCPU that a migration carries, from {@link Vcpu#saveState()}.
 * Components this host does not support are null (see {@link HostSupport#states()}): {@code xsave}
 * replaces {@code fpu} where XSAVE exists; {@code lapic} needs the in-kernel irqchip.
 *
 * @param regs general-purpose registers, RIP and RFLAGS; never null
 * @param sregs segment and control registers; never null
 * @param fpu x87/SSE state, or null where {@code xsave} is carried
 * @param xsave the xsave area, or null without XSAVE
 * @param xcrs XCR0, or null without KVM_CAP_XCRS
 * @param msrs the MSRs {@link Vcpu#savedMsrIndices()} names; never null
 * @param mpState the multiprocessing state, or null without KVM_CAP_MP_STATE
 * @param lapic the local APIC page, or null without an in-kernel irqchip
 * @param vcpuEvents pending events, or null without KVM_CAP_VCPU_EVENTS
 * @param debugRegs debug registers, or null without KVM_CAP_DEBUGREGS
 */
public record VcpuState(Regs regs, Sregs sregs, Fpu fpu, Xsave xsave, Xcrs xcrs, List<Msr> msrs,
                        MpState mpState, Lapic lapic, VcpuEvents vcpuEvents, DebugRegs debugRegs) {

    /**
     * Checks that the required parts are there and copies the MSR list.
     *
     * @throws IllegalArgumentException if regs, sregs or msrs is null, or both fpu and xsave are
     */
    public VcpuState {
        if (regs == null || sregs == null || msrs == null) {
            throw new IllegalArgumentException("a vCPU state needs regs, sregs and msrs");
        }
        if (fpu == null && xsave == null) {
            throw new IllegalArgumentException("a vCPU state needs fpu or xsave");
        }
        msrs = List.copyOf(msrs);
    }
}
