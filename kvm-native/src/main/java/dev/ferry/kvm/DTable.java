package dev.ferry.kvm;

/** A descriptor-table register (GDTR, IDTR): base and limit. */
public record DTable(long base, int limit) {
}
