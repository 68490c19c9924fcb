package dev.ferry.kvm;

/**
 * Pending exception, interrupt, NMI and SMI (KVM_GET/SET_VCPU_EVENTS), as the raw bytes of {@code struct kvm_vcpu_events}: carried through migration
 * unchanged between hosts with the same KVM ABI.
 */
public record VcpuEvents(StructBytes bytes) {
}
