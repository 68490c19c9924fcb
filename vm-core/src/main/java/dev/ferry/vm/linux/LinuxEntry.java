package dev.ferry.vm.linux;

import dev.ferry.kvm.CpuidEntry;
import dev.ferry.kvm.DTable;
import dev.ferry.kvm.Regs;
import dev.ferry.kvm.Vcpu;
import java.util.List;

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
    private static final int XSAVE = 1 << 26;

    /**
     * Puts {@code vcpu} (with its CPUID already set) at the kernel's entry.
     *
     * @param vcpu the boot vCPU
     */
    public void enter(Vcpu vcpu) {
        long xcr0 = supportedXcr0(vcpu.cpuid());
        if (xcr0 != 0) {
            // Linux sets XCR0 to these features itself. Set here too, so KVM's copy (loaded on every
            // guest entry, and behind CPUID 0xD's size) agrees even where the guest's XSETBV never
            // reaches KVM: QEMU's TCG, the nested KVM of CI, does not intercept it for its guests.
            vcpu.setXcr0(xcr0);
        }
        vcpu.setSregs(vcpu.getSregs().withLongMode(cr3, BOOT_CS, BOOT_DS, gdt));
        Regs start = Regs.entry(rip, stack);
        vcpu.setRegs(new Regs(start.rax(), start.rbx(), start.rcx(), start.rdx(), bootParams, start.rdi(), start.rsp(),
                start.rbp(), start.r8(), start.r9(), start.r10(), start.r11(), start.r12(), start.r13(), start.r14(),
                start.r15(), start.rip(), start.rflags()));
    }

    /** The XSAVE features {@code cpuid} offers (leaf 0xD, 0: EDX:EAX); 0 without XSAVE (leaf 1 ECX bit 26). */
    static long supportedXcr0(List<CpuidEntry> cpuid) {
        boolean xsave = cpuid.stream().anyMatch(e -> e.function() == 1 && (e.ecx() & XSAVE) != 0);
        return !xsave ? 0 : cpuid.stream().filter(e -> e.function() == 0xd && e.index() == 0)
                .mapToLong(e -> Integer.toUnsignedLong(e.eax()) | (long) e.edx() << 32).findFirst().orElse(0);
    }
}
