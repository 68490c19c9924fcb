package dev.ferry.vm.linux;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * An Intel MultiProcessor Specification 1.4 table: how a kernel without ACPI finds the CPUs, the
 * IOAPIC and the interrupt routing. KVM's in-kernel IOAPIC sits at 0xfec00000 with 24 pins and
 * takes ISA IRQ n on pin n (its default GSI routing, which the in-kernel PIT's IRQ 0 uses too), so
 * every pin is listed one to one; the LAPICs' LINT0 is the 8259's ExtINT, LINT1 the NMI.
 */
final class MpTable {

    static final long LAPIC_ADDRESS = 0xfee0_0000L;
    static final long IOAPIC_ADDRESS = 0xfec0_0000L;
    static final int IOAPIC_PINS = 24;

    private static final int FLOATING_POINTER_BYTES = 16;
    private static final int HEADER_BYTES = 44;
    private static final int PROCESSOR_BYTES = 20;
    private static final int ENTRY_BYTES = 8;
    private static final int SPEC_REV = 4;
    private static final int APIC_VERSION = 0x14;
    private static final int IOAPIC_VERSION = 0x11;
    private static final int CPU_ENABLED = 1;
    private static final int CPU_BOOT = 2;
    private static final int CPU_SIGNATURE = 0x600; // family 6: what the field needs, the CPUID tells the rest
    private static final int CPU_FEATURES = 0x201; // FPU and APIC
    private static final int INT = 0;
    private static final int NMI = 1;
    private static final int EXTINT = 3;

    private MpTable() {
    }

    /** Bytes the table takes for {@code cpus} processors. */
    static int size(int cpus) {
        return FLOATING_POINTER_BYTES + HEADER_BYTES + cpus * PROCESSOR_BYTES + ENTRY_BYTES * (2 + IOAPIC_PINS + 2);
    }

    /**
     * The floating pointer followed by the configuration table, for placing at guest physical
     * {@code address} (16-byte aligned, where the kernel looks: the BIOS area 0xf0000-0xfffff).
     *
     * @param cpus processors with APIC ids 0 to cpus - 1, the first one boots
     */
    static byte[] build(long address, int cpus) {
        ByteBuffer b = ByteBuffer.allocate(size(cpus)).order(ByteOrder.LITTLE_ENDIAN);
        int ioapicId = cpus;
        b.put(FirmwareBytes.ascii("_MP_", 4)).putInt((int) (address + FLOATING_POINTER_BYTES)).put((byte) 1).put((byte) SPEC_REV)
                .put((byte) 0).put(new byte[5]);
        int config = b.position();
        int entries = cpus + 2 + IOAPIC_PINS + 2;
        b.put(FirmwareBytes.ascii("PCMP", 4)).putShort((short) (b.capacity() - config)).put((byte) SPEC_REV).put((byte) 0)
                .put(FirmwareBytes.ascii("FERRY   ", 8)).put(FirmwareBytes.ascii("LINUX GUEST ", 12)).putInt(0)
                .putShort((short) 0).putShort((short) entries).putInt((int) LAPIC_ADDRESS).putShort((short) 0).put((byte) 0).put((byte) 0);
        for (int cpu = 0; cpu < cpus; cpu++) {
            b.put((byte) 0).put((byte) cpu).put((byte) APIC_VERSION).put((byte) (CPU_ENABLED | (cpu == 0 ? CPU_BOOT : 0)))
                    .putInt(CPU_SIGNATURE).putInt(CPU_FEATURES).putLong(0);
        }
        b.put((byte) 1).put((byte) 0).put(FirmwareBytes.ascii("ISA   ", 6));
        b.put((byte) 2).put((byte) ioapicId).put((byte) IOAPIC_VERSION).put((byte) 1).putInt((int) IOAPIC_ADDRESS);
        for (int pin = 0; pin < IOAPIC_PINS; pin++) {
            b.put((byte) 3).put((byte) INT).putShort((short) 0).put((byte) 0).put((byte) pin).put((byte) ioapicId)
                    .put((byte) pin);
        }
        b.put((byte) 4).put((byte) EXTINT).putShort((short) 0).put((byte) 0).put((byte) 0).put((byte) 0).put((byte) 0);
        b.put((byte) 4).put((byte) NMI).putShort((short) 0).put((byte) 0).put((byte) 0).put((byte) 0xff).put((byte) 1);
        byte[] table = b.array();
        table[config + 7] = FirmwareBytes.checksum(table, config, table.length);
        table[10] = FirmwareBytes.checksum(table, 0, FLOATING_POINTER_BYTES);
        return table;
    }
}
