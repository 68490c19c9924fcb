package dev.ferry.kvm;

/**
 * Debug registers DR0-3, DR6, DR7 (KVM_GET/SET_DEBUGREGS), as the raw bytes of {@code struct kvm_debugregs}: carried through migration
 * unchanged between hosts with the same KVM ABI.
 *
 * @param bytes the struct's bytes
 */
public record DebugRegs(StructBytes bytes) {
}
