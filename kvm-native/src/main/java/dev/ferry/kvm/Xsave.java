package dev.ferry.kvm;

/**
 * The vCPU's xsave area (KVM_GET_XSAVE/XSAVE2, KVM_SET_XSAVE), as the raw bytes of {@code struct kvm_xsave}: carried through migration
 * unchanged between hosts with the same KVM ABI.
 *
 * @param bytes the struct's bytes
 */
public record Xsave(StructBytes bytes) {
}
