package dev.ferry.vm.linux;

import dev.ferry.kvm.DTable;
import dev.ferry.kvm.LongMode;
import dev.ferry.vm.memory.GuestRam;
import dev.ferry.vm.memory.RamLayout;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Loads a checked {@link LinuxImage} into guest RAM as a boot loader of the Linux/x86 64-bit boot
 * protocol does, without firmware. Low memory holds, in RAM the kernel leaves alone:
 * <pre>
 *   0x00500  GDT (null, null, __BOOT_CS 0x10, __BOOT_DS 0x18)
 *   0x07000  boot_params, the stack below 0x9000
 *   0x09000  identity page tables (first GiB, 2 MiB pages)
 *   0x20000  command line
 *   0xe0000  ACPI tables, RSDP first (e820 reserved 0xe0000-0xfffff)
 *   0xf0000  MP table (read only with acpi=off: Linux prefers the ACPI tables)
 *   1 MiB    protected-mode kernel; the initrd at the top of low RAM
 * </pre>
 */
public final class LinuxLoader {

    private static final long GDT_ADDRESS = 0x500;
    private static final long BOOT_PARAMS = 0x7000;
    private static final long STACK = 0x8ff0;
    private static final long PAGE_TABLES = 0x9000;
    private static final long CMDLINE = 0x2_0000;
    private static final long ACPI_TABLES = 0xe_0000;
    private static final long MP_TABLE = 0xf_0000;
    private static final long EBDA = 0x9_fc00;
    private static final long BIOS_END = 0x10_0000;
    private static final long[] GDT = {0, 0, 0x00af_9b00_0000_ffffL, 0x00cf_9300_0000_ffffL};

    private LinuxLoader() {
    }

    /**
     * Writes the kernel, initrd, command line, boot_params, ACPI tables, MP table, GDT and page
     * tables of {@code image} into {@code ram} (built by {@link RamLayout#of}, low RAM from address 0).
     *
     * @param ram guest RAM, as large as {@code image} was checked for
     * @param image the checked kernel
     * @param cpus the vCPUs the ACPI and MP tables list
     * @param devices the virtio-mmio devices the ACPI tables declare
     * @return how the boot vCPU enters the kernel
     */
    public static LinuxEntry load(GuestRam ram, LinuxImage image, int cpus, List<VirtioMmioDevice> devices) {
        SetupHeader header = image.header();
        byte[] kernel = image.kernel();
        long kernelOffset = header.kernelOffset();
        ram.write(LinuxImage.LOAD_ADDRESS, MemorySegment.ofArray(kernel).asSlice(kernelOffset));
        if (image.initrd().length > 0) {
            ram.write(image.initrdAddress(), MemorySegment.ofArray(image.initrd()));
        }
        byte[] cmdline = new byte[image.cmdline().length + 1];
        System.arraycopy(image.cmdline(), 0, cmdline, 0, image.cmdline().length);
        ram.write(CMDLINE, MemorySegment.ofArray(cmdline));
        ram.write(BOOT_PARAMS, MemorySegment.ofArray(BootParams.build(image, CMDLINE, e820(ram.layout()))));
        // At most 64 vCPUs and 16 disks (MachineSpec): a few KiB, well below the MP table.
        ram.write(ACPI_TABLES, MemorySegment.ofArray(AcpiTables.build(ACPI_TABLES, cpus, devices)));
        ram.write(MP_TABLE, MemorySegment.ofArray(MpTable.build(MP_TABLE, cpus)));
        ByteBuffer gdt = ByteBuffer.allocate(GDT.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long descriptor : GDT) {
            gdt.putLong(descriptor);
        }
        ram.write(GDT_ADDRESS, MemorySegment.ofArray(gdt.array()));
        long cr3 = LongMode.writeIdentityPageTables(ram.slice(0, PAGE_TABLES + LongMode.PAGE_TABLE_BYTES), PAGE_TABLES, false);
        ram.dirty(PAGE_TABLES, LongMode.PAGE_TABLE_BYTES);
        return new LinuxEntry(LinuxImage.LOAD_ADDRESS + SetupHeader.ENTRY_64_OFFSET, BOOT_PARAMS, STACK, cr3,
                new DTable(GDT_ADDRESS, GDT.length * 8 - 1));
    }

    /** RAM below the EBDA, the BIOS area reserved (it holds the ACPI and MP tables), RAM from 1 MiB and above 4 GiB. */
    static List<BootParams.E820> e820(RamLayout layout) {
        List<BootParams.E820> map = new ArrayList<>();
        map.add(new BootParams.E820(0, EBDA, BootParams.E820.RAM));
        map.add(new BootParams.E820(ACPI_TABLES, BIOS_END - ACPI_TABLES, BootParams.E820.RESERVED));
        for (RamLayout.Range range : layout.ranges()) {
            long start = Math.max(range.gpa(), BIOS_END);
            long end = range.gpa() + range.size();
            if (end > start) {
                map.add(new BootParams.E820(start, end - start, BootParams.E820.RAM));
            }
        }
        return map;
    }
}
