package dev.ferry.kvm;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.MemorySegment;

/**
 * Puts a vCPU straight into 64-bit long mode, no firmware: identity page tables written into guest
 * RAM and the special registers set through KVM. What Ferry's own guests and tests start from.
 */
public final class LongMode {

    /** Bytes the page tables of {@link #writeIdentityPageTables} take: PML4, PDPT and PD pages. */
    public static final long PAGE_TABLE_BYTES = 3 * HostMemory.PAGE_SIZE;
    /** Bytes of guest physical memory those tables map: 512 pages of 2 MiB. */
    public static final long MAPPED_BYTES = 1L << 30;

    private static final long PRESENT = 1;
    private static final long WRITABLE = 1 << 1;
    private static final long USER = 1 << 2;
    private static final long ACCESSED = 1 << 5;
    private static final long DIRTY = 1 << 6;
    private static final long LARGE = 1 << 7;

    private LongMode() {
    }

    /**
     * Writes 4-level page tables at guest physical {@code tablesGpa} (page-aligned, in RAM at
     * {@code ram} offset {@code tablesGpa}, i.e. RAM mapped from guest address 0) that map the
     * first GiB one to one with 2 MiB pages, writable, user-accessible when {@code user}. Accessed
     * and dirty bits are preset so the CPU never needs to write the tables. With Intel EPT that
     * keeps them out of the dirty log; AMD's nested paging treats every guest page-table access
     * as a write, so there the tables are logged dirty whenever the vCPU walked them.
     *
     * @param ram guest RAM, mapped from guest address 0
     * @param tablesGpa guest physical address of the tables
     * @param user whether ring 3 may use the mapping
     * @return the value for CR3
     */
    public static long writeIdentityPageTables(MemorySegment ram, long tablesGpa, boolean user) {
        if (tablesGpa % HostMemory.PAGE_SIZE != 0 || tablesGpa + PAGE_TABLE_BYTES > ram.byteSize()) {
            throw new IllegalArgumentException("page tables at 0x" + Long.toHexString(tablesGpa)
                    + " must be page-aligned and fit in " + ram.byteSize() + " bytes of RAM");
        }
        long flags = PRESENT | WRITABLE | ACCESSED | (user ? USER : 0);
        long pdpt = tablesGpa + HostMemory.PAGE_SIZE;
        long pd = pdpt + HostMemory.PAGE_SIZE;
        ram.asSlice(tablesGpa, PAGE_TABLE_BYTES).fill((byte) 0);
        ram.set(JAVA_LONG, tablesGpa, pdpt | flags);
        ram.set(JAVA_LONG, pdpt, pd | flags);
        for (long i = 0; i < 512; i++) {
            ram.set(JAVA_LONG, pd + 8 * i, (i << 21) | flags | DIRTY | LARGE);
        }
        return tablesGpa;
    }

    /**
     * Makes {@code vcpu} start in long mode at CPL0 at {@code rip} with stack {@code rsp}, paging
     * rooted at {@code cr3}: gives it the host's supported CPUID as {@link GuestCpuid} shapes it
     * for this VM and vCPU (KVM refuses EFER.LME without the long-mode CPUID bit), flat segments and CR0/CR4/EFER for
     * long mode.
     *
     * @param kvm to read the supported CPUID and feature MSRs
     * @param vcpu a vCPU that has not run yet
     * @param cr3 from {@link #writeIdentityPageTables}
     * @param rip the entry point
     * @param rsp the stack pointer
     */
    public static void enter(Kvm kvm, Vcpu vcpu, long cr3, long rip, long rsp) {
        vcpu.setCpuid(GuestCpuid.forVcpu(GuestCpuid.forVm(kvm.supportedCpuid(), vcpu.vm().hasIrqchip(),
                kvm.has(Capability.TSC_DEADLINE_TIMER)), vcpu.id()));
        vcpu.setSregs(vcpu.getSregs().withLongMode(cr3));
        vcpu.setRegs(Regs.entry(rip, rsp));
    }
}
