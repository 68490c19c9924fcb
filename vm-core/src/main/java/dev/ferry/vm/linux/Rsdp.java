package dev.ferry.vm.linux;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The Root System Description Pointer (ACPI 2.0+, 36 bytes): "RSD PTR ", the XSDT's address, and
 * two checksums (the first 20 bytes, then all 36). Linux finds it by scanning the BIOS area
 * 0xe0000-0xfffff on 16-byte boundaries. No RSDT: the XSDT is the root.
 */
final class Rsdp {

    static final int SIZE = 36;
    private static final int REVISION = 2;
    private static final int V1_BYTES = 20;

    private Rsdp() {
    }

    static byte[] build(long xsdt) {
        ByteBuffer b = ByteBuffer.allocate(SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.put(FirmwareBytes.ascii("RSD PTR ", 8)).put((byte) 0).put(FirmwareBytes.ascii(AcpiTable.OEM_ID, 6)).put((byte) REVISION)
                .putInt(0).putInt(SIZE).putLong(xsdt).put((byte) 0).put(new byte[3]);
        byte[] rsdp = b.array();
        rsdp[8] = FirmwareBytes.checksum(rsdp, 0, V1_BYTES);
        rsdp[32] = FirmwareBytes.checksum(rsdp, 0, SIZE);
        return rsdp;
    }
}
