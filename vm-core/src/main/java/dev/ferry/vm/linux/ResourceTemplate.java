package dev.ferry.vm.linux;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The resource descriptors of a {@code _CRS} (ACPI 6.x, 6.4): a fixed 32-bit memory range and an
 * edge-triggered, active-high extended interrupt, closed by the end tag. What
 * {@code ResourceTemplate () { ... }} compiles to.
 */
final class ResourceTemplate {

    private static final int MEMORY32_FIXED = 0x86;
    private static final int EXTENDED_INTERRUPT = 0x89;
    private static final int END_TAG = 0x79;
    private static final int READ_WRITE = 1;
    private static final int CONSUMER = 1;
    /** Edge-triggered; active high, as the polarity bit (bit 2) is clear. */
    private static final int EDGE = 1 << 1;

    private ResourceTemplate() {
    }

    /** {@code Memory32Fixed (ReadWrite, base, length)}. */
    static byte[] memory32Fixed(long base, long length) {
        if (base >>> 32 != 0 || length >>> 32 != 0 || base + length > 1L << 32) {
            throw new IllegalArgumentException(String.format("Memory32Fixed 0x%x+0x%x: beyond 4 GiB", base, length));
        }
        return ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).put((byte) MEMORY32_FIXED).putShort((short) 9)
                .put((byte) READ_WRITE).putInt((int) base).putInt((int) length).array();
    }

    /**
     * {@code Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive) { gsi }}: how every Ferry
     * device pulses its IOAPIC pin (KVM_IRQ_LINE up, then down).
     */
    static byte[] interrupt(int gsi) {
        return ByteBuffer.allocate(9).order(ByteOrder.LITTLE_ENDIAN).put((byte) EXTENDED_INTERRUPT).putShort((short) 6)
                .put((byte) (CONSUMER | EDGE)).put((byte) 1).putInt(gsi).array();
    }

    /** The descriptors followed by the end tag (checksum 0: "treat as correct"). */
    static byte[] of(byte[]... descriptors) {
        return Aml.concat(Aml.concat(descriptors), new byte[] {END_TAG, 0});
    }
}
