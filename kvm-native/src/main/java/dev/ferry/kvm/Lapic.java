package dev.ferry.kvm;

/**
 * The in-kernel local APIC's register page (KVM_GET/SET_LAPIC), as the raw bytes of {@code struct kvm_lapic_state}: carried through migration
 * unchanged between hosts with the same KVM ABI.
 *
 * @param bytes the struct's bytes
 */
public record Lapic(StructBytes bytes) {
}
