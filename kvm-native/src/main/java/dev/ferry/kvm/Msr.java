package dev.ferry.kvm;

/**
 * One model-specific register: its index and value.
 *
 * @param index the MSR number, as for RDMSR
 * @param value its 64-bit value
 */
public record Msr(int index, long value) {

    /** IA32_TSC: it advances on its own, so two reads differ. */
    public static final int IA32_TSC = 0x10;
    /** IA32_TSC_DEADLINE: writable only once the LAPIC is in TSC-deadline mode. */
    public static final int IA32_TSC_DEADLINE = 0x6e0;
}
