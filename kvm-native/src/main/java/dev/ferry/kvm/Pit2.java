package dev.ferry.kvm;

/**
 * The in-kernel PIT (KVM_GET/SET_PIT2), as the raw bytes of {@code struct kvm_pit_state2}: carried through migration
 * unchanged between hosts with the same KVM ABI.
 *
 * @param bytes the struct's bytes
 */
public record Pit2(StructBytes bytes) {
}
