package dev.ferry.kvm;

/**
 * Extended control registers, XCR0 (KVM_GET/SET_XCRS), as the raw bytes of {@code struct kvm_xcrs}: carried through migration
 * unchanged between hosts with the same KVM ABI.
 *
 * @param bytes the struct's bytes
 */
public record Xcrs(StructBytes bytes) {
}
