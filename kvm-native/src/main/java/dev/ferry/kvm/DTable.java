package dev.ferry.kvm;

/**
 * A descriptor-table register (GDTR, IDTR): base and limit.
 *
 * @param base linear base address of the table
 * @param limit its limit in bytes, one less than its size
 */
public record DTable(long base, int limit) {
}
