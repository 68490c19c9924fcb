package dev.ferry.kvm;

import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.util.HexFormat;

/**
 * A VM with 1 MiB of RAM at guest address 0 (slot 0), identity page tables at 0x1000, and this
 * 64-bit program at {@link #CODE}, which one vCPU enters in long mode at CPL0:
 * <pre>
 *   0x00 mov al, 0x42; out 0x10, al                    -> IoOut port 0x10, data 0x42
 *   0x04 mov rax, 0x1122334455667788; mov [0x10000], rax; hlt   -> writes page 0x10, Hlt
 *   0x19 mov [0x25000], rax                              -> writes page 0x25
 *   0x23 mov [0x180000], eax; mov rdx, [0x180008]; hlt  -> MmioWrite, MmioRead (no RAM there), Hlt
 *   0x31 jmp $                                            (SPIN: runs until kicked)
 *   0x33 out 0x10, al; jmp 0x33                           (OUT_LOOP: an exit per iteration)
 *   0x37 hlt; jmp 0x37                                    (HALT_LOOP: with an in-kernel irqchip, halts inside KVM_RUN)
 * </pre>
 */
final class TestGuest implements AutoCloseable {

    static final long RAM = 1 << 20;
    static final long TABLES = 0x1000;
    static final long CODE = 0x4000;
    static final long STACK = 0x8000;
    static final long SPIN = CODE + 0x31;
    static final long OUT_LOOP = CODE + 0x33;
    static final long HALT_LOOP = CODE + 0x37;
    static final long VALUE = 0x1122334455667788L;
    static final long FIRST_PAGE = 0x10;
    static final long SECOND_PAGE = 0x25;
    static final long MMIO = 0x180000;
    private static final byte[] PROGRAM = HexFormat.of().parseHex(String.join("",
            "b042", "e610",                     // mov al, 0x42; out 0x10, al
            "48b88877665544332211",             // mov rax, 0x1122334455667788
            "48c7c300000100", "488903", "f4",   // mov rbx, 0x10000; mov [rbx], rax; hlt
            "48c7c300500200", "488903",         // mov rbx, 0x25000; mov [rbx], rax
            "48c7c100001800", "8901",           // mov rcx, 0x180000; mov [rcx], eax
            "488b5108", "f4",                   // mov rdx, [rcx + 8]; hlt
            "ebfe",                             // SPIN: jmp $
            "e610", "ebfc",                     // OUT_LOOP: out 0x10, al; jmp OUT_LOOP
            "f4", "ebfd"));                     // HALT_LOOP: hlt; jmp HALT_LOOP

    final Kvm kvm;
    final HostMemory ram;
    final Vm vm;
    final MemorySlot slot;
    final Vcpu vcpu;

    /** Skips the calling test, naming the need, when this host has no usable KVM. */
    static void assumeKvm() {
        KvmRequirement.need(Files.exists(Kvm.DEVICE), "needs /dev/kvm: this host has no KVM (load kvm_intel, kvm_amd or kvm_pvm)");
        KvmRequirement.need(Files.isReadable(Kvm.DEVICE) && Files.isWritable(Kvm.DEVICE), "needs read/write access to /dev/kvm");
    }

    /** The guest ready to run, with the hooks a test needs before memory is mapped and vCPUs exist. */
    TestGuest(boolean logDirtyPages, boolean manualProtect, boolean irqchip) {
        kvm = Kvm.open();
        ram = HostMemory.anonymous(RAM, false);
        vm = kvm.createVm();
        if (manualProtect && !vm.enableManualDirtyLogProtect(false)) {
            close();
            KvmRequirement.need(false, "needs KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2");
        }
        if (irqchip) {
            vm.createIrqchip();
        }
        slot = vm.mapMemory(0, 0, ram.segment(), logDirtyPages);
        long cr3 = LongMode.writeIdentityPageTables(ram.segment(), TABLES, false);
        MemorySegment.copy(MemorySegment.ofArray(PROGRAM), 0, ram.segment(), CODE, PROGRAM.length);
        vcpu = vm.createVcpu(0);
        LongMode.enter(kvm, vcpu, cr3, CODE, STACK);
    }

    /** Moves the vCPU to {@code rip}, other registers unchanged. */
    void jump(long rip) {
        jump(rip, vcpu.getRegs().rflags());
    }

    /** Moves the vCPU to {@code rip} with {@code rflags}, other registers unchanged. */
    void jump(long rip, long rflags) {
        Regs r = vcpu.getRegs();
        vcpu.setRegs(new Regs(r.rax(), r.rbx(), r.rcx(), r.rdx(), r.rsi(), r.rdi(), r.rsp(), r.rbp(), r.r8(), r.r9(),
                r.r10(), r.r11(), r.r12(), r.r13(), r.r14(), r.r15(), rip, rflags));
    }

    @Override
    public void close() {
        vm.close();
        ram.close();
        kvm.close();
    }
}
