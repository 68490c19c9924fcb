package dev.ferry.kvm;

/**
 * One in-kernel interrupt controller, PIC master, PIC slave or IOAPIC, chip_id included (KVM_GET/SET_IRQCHIP), as the raw bytes of {@code struct kvm_irqchip}: carried through migration
 * unchanged between hosts with the same KVM ABI.
 *
 * @param bytes the struct's bytes
 */
public record Irqchip(StructBytes bytes) {
}
