package dev.ferry.kvm.bindings;

import static dev.ferry.kvm.bindings.CLayouts.struct;
import static dev.ferry.kvm.bindings.CLayouts.u64;

import java.lang.foreign.StructLayout;

/** {@code struct kvm_regs}: eighteen 64-bit registers in header order. */
public final class KvmRegs {

    public static final StructLayout LAYOUT = struct("kvm_regs",
            u64("rax"), u64("rbx"), u64("rcx"), u64("rdx"), u64("rsi"), u64("rdi"), u64("rsp"), u64("rbp"),
            u64("r8"), u64("r9"), u64("r10"), u64("r11"), u64("r12"), u64("r13"), u64("r14"), u64("r15"),
            u64("rip"), u64("rflags"));

    private KvmRegs() {
    }
}
