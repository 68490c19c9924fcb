package dev.ferry.kvm;

/**
 * x87 and SSE state (KVM_GET/SET_FPU), used when the host lacks XSAVE, as the raw bytes of {@code struct kvm_fpu}: carried through migration
 * unchanged between hosts with the same KVM ABI.
 *
 * @param bytes the struct's bytes
 */
public record Fpu(StructBytes bytes) {
}
