package dev.ferry.vm.linux;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The Multiple APIC Description Table: a local APIC per vCPU (APIC ids 0 to n - 1), KVM's
 * in-kernel IOAPIC (id n, as in the MP table, GSIs from 0), the SCI's interrupt source override
 * (ISA IRQ 9 level-triggered, active high: KVM's IOAPIC inverts an active-low pin, so the default
 * active-low SCI would read as asserted for ever), and LINT1 of every CPU as the NMI. ISA IRQs
 * 0-15 otherwise map to pins 0-15, edge-triggered and active high, as KVM's default routing
 * wires them (the in-kernel PIT on pin 0).
 */
final class Madt {

    /** ACPI 6.0's MADT revision. */
    private static final int REVISION = 4;
    private static final int PCAT_COMPAT = 1;
    private static final int LOCAL_APIC = 0;
    private static final int IO_APIC = 1;
    private static final int SOURCE_OVERRIDE = 2;
    private static final int LOCAL_APIC_NMI = 4;
    private static final int ENABLED = 1;
    private static final int ACTIVE_HIGH = 1;
    private static final int LEVEL = 3 << 2;
    private static final int ALL_PROCESSORS = 0xff;

    private Madt() {
    }

    static byte[] build(int cpus, int sciGsi) {
        ByteBuffer b = ByteBuffer.allocate(8 + cpus * 8 + 12 + 10 + 6).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt((int) MpTable.LAPIC_ADDRESS).putInt(PCAT_COMPAT);
        for (int cpu = 0; cpu < cpus; cpu++) {
            b.put((byte) LOCAL_APIC).put((byte) 8).put((byte) cpu).put((byte) cpu).putInt(ENABLED);
        }
        b.put((byte) IO_APIC).put((byte) 12).put((byte) cpus).put((byte) 0).putInt((int) MpTable.IOAPIC_ADDRESS).putInt(0);
        b.put((byte) SOURCE_OVERRIDE).put((byte) 10).put((byte) 0).put((byte) sciGsi).putInt(sciGsi)
                .putShort((short) (ACTIVE_HIGH | LEVEL));
        b.put((byte) LOCAL_APIC_NMI).put((byte) 6).put((byte) ALL_PROCESSORS).putShort((short) 0).put((byte) 1);
        return AcpiTable.of("APIC", REVISION, b.array());
    }
}
