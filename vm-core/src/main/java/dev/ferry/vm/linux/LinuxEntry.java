package dev.ferry.vm.linux;

import dev.ferry.kvm.DTable;
import dev.ferry.kvm.Regs;
import dev.ferry.kvm.Vcpu;

/**
 * How the boot vCPU enters a loaded kernel by the 64-bit boot protocol: in long mode with paging
 * rooted at {@code cr3}, CS = 0x10 and the data segments 0x18 of {@code gdt}, interrupts off, RSI
 * pointing at boot_params, at startup_64.
 *
 * @param rip startup_64: the load address plus 0x200
 * @param bootParams where boot_params lies (goes to RSI)
 * @param stack an initial stack pointer in free low memory
 * @param cr3 the identity page tables
 * @param gdt the GDT holding the boot code and data segments
 */
public record LinuxEntry(long rip, long bootParams, long stack, long cr3, DTable gdt) {

    /** __BOOT_CS of the protocol. */
    public static final int BOOT_CS = 0x10;
    /** __BOOT_DS of the protocol. */
    public static final int BOOT_DS = 0x18;

    /**
     * Puts {@code vcpu} (with its CPUID already set) at the kernel's entry.
     *
     * @param vcpu the boot vCPU
     */
    public void enter(Vcpu vcpu) {
        vcpu.setSregs(vcpu.getSregs().withLongMode(cr3, BOOT_CS, BOOT_DS, gdt));
        Regs start = Regs.entry(rip, stack);
        vcpu.setRegs(new Regs(start.rax(), start.rbx(), start.rcx(), start.rdx(), bootParams, start.rdi(), start.rsp(),
                start.rbp(), start.r8(), start.r9(), start.r10(), start.r11(), start.r12(), start.r13(), start.r14(),
                start.r15(), start.rip(), start.rflags()));
    }
}
