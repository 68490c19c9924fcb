package dev.ferry.kvm;

/**
 * One {@code struct kvm_cpuid_entry2}: a CPUID leaf (function, index) and its output registers.
 *
 * @param function the leaf (EAX on input)
 * @param index the subleaf (ECX on input), when {@code flags} says it matters
 * @param flags KVM_CPUID_FLAG_* bits
 * @param eax EAX output
 * @param ebx EBX output
 * @param ecx ECX output
 * @param edx EDX output
 */
public record CpuidEntry(int function, int index, int flags, int eax, int ebx, int ecx, int edx) {

    /** The CPUID bit of long mode, leaf 0x80000001 EDX bit 29. */
    public static final int EXT_FEATURES = 0x80000001;
}
