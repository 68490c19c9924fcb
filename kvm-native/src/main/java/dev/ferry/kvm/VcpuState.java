package dev.ferry.kvm;

import java.util.List;

/**
 * Everything KVM holds for one vCPU that a migration carries, from {@link Vcpu#saveState()}.
 * Components this host does not support are null (see {@link HostSupport#states()}): {@code xsave}
 * replaces {@code fpu} where XSAVE exists; {@code lapic} needs the in-kernel irqchip.
 */
public record VcpuState(Regs regs, Sregs sregs, Fpu fpu, Xsave xsave, Xcrs xcrs, List<Msr> msrs,
                        MpState mpState, Lapic lapic, VcpuEvents vcpuEvents, DebugRegs debugRegs) {

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
