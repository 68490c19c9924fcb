package dev.ferry.kvm;

import dev.ferry.kvm.bindings.KvmRegs;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The general-purpose registers, RIP and RFLAGS ({@code struct kvm_regs}).
 *
 * @param rax RAX
 * @param rbx RBX
 * @param rcx RCX
 * @param rdx RDX
 * @param rsi RSI
 * @param rdi RDI
 * @param rsp RSP, the stack pointer
 * @param rbp RBP
 * @param r8 R8
 * @param r9 R9
 * @param r10 R10
 * @param r11 R11
 * @param r12 R12
 * @param r13 R13
 * @param r14 R14
 * @param r15 R15
 * @param rip the instruction pointer
 * @param rflags RFLAGS; bit 1 is always set
 */
public record Regs(long rax, long rbx, long rcx, long rdx, long rsi, long rdi, long rsp, long rbp,
                   long r8, long r9, long r10, long r11, long r12, long r13, long r14, long r15,
                   long rip, long rflags) {

    /** RFLAGS bit 1 is always set. */
    public static final long RFLAGS_RESERVED = 0x2;

    /**
     * All zero but {@code rip}, {@code rsp} and the reserved RFLAGS bit: a vCPU's entry state.
     *
     * @param rip where the vCPU starts
     * @param rsp its stack pointer
     * @return the registers
     */
    public static Regs entry(long rip, long rsp) {
        return new Regs(0, 0, 0, 0, 0, 0, rsp, 0, 0, 0, 0, 0, 0, 0, 0, 0, rip, RFLAGS_RESERVED);
    }

    // kvm_regs is eighteen u64 in the order of this record's components.
    static Regs read(MemorySegment s) {
        long[] v = s.asSlice(0, KvmRegs.LAYOUT.byteSize()).toArray(ValueLayout.JAVA_LONG);
        return new Regs(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13],
                v[14], v[15], v[16], v[17]);
    }

    void write(MemorySegment s) {
        long[] v = {rax, rbx, rcx, rdx, rsi, rdi, rsp, rbp, r8, r9, r10, r11, r12, r13, r14, r15, rip, rflags};
        MemorySegment.copy(v, 0, s, ValueLayout.JAVA_LONG, 0, v.length);
    }
}
