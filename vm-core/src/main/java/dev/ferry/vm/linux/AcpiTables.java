package dev.ferry.vm.linux;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * The ACPI tables that tell a Linux guest its CPUs, interrupt controllers and virtio-mmio devices,
 * laid out as one block for guest-physical {@code base} in the BIOS area:
 * <pre>
 *   base + 0x00  RSDP  → XSDT
 *   base + 0x40  FACS  (64-byte aligned)
 *   then         DSDT, FACP → FACS and DSDT, APIC (MADT), XSDT → FACP and APIC, each 8-byte aligned
 * </pre>
 * The SCI is ISA IRQ {@link #SCI_GSI}, as on QEMU's PC.
 */
final class AcpiTables {

    static final int SCI_GSI = 9;
    private static final int FACS_OFFSET = 0x40;
    private static final int FACS_BYTES = 64;
    private static final int FACS_VERSION = 2;
    private static final int XSDT_REVISION = 1;

    private AcpiTables() {
    }

    /**
     * The tables for {@code cpus} vCPUs and {@code devices}, to be placed at {@code base}.
     *
     * @return the block, RSDP first
     */
    static byte[] build(long base, int cpus, List<VirtioMmioDevice> devices) {
        long facs = base + FACS_OFFSET;
        long dsdtAt = facs + FACS_BYTES;
        byte[] dsdt = Dsdt.build(devices);
        long fadtAt = align(dsdtAt + dsdt.length);
        byte[] fadt = Fadt.build(facs, dsdtAt, SCI_GSI);
        long madtAt = align(fadtAt + fadt.length);
        byte[] madt = Madt.build(cpus, SCI_GSI);
        long xsdtAt = align(madtAt + madt.length);
        byte[] xsdt = AcpiTable.of("XSDT", XSDT_REVISION,
                ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(fadtAt).putLong(madtAt).array());
        ByteBuffer block = ByteBuffer.allocate((int) (xsdtAt + xsdt.length - base)).order(ByteOrder.LITTLE_ENDIAN);
        block.put(0, Rsdp.build(xsdtAt));
        block.put(FACS_OFFSET, FirmwareBytes.ascii("FACS", 4)).putInt(FACS_OFFSET + 4, FACS_BYTES)
                .put(FACS_OFFSET + 32, (byte) FACS_VERSION);
        block.put((int) (dsdtAt - base), dsdt).put((int) (fadtAt - base), fadt).put((int) (madtAt - base), madt)
                .put((int) (xsdtAt - base), xsdt);
        return block.array();
    }

    private static long align(long address) {
        return (address + 7) & -8L;
    }
}
