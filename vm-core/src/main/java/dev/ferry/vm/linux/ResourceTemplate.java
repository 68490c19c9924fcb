package dev.ferry.vm.linux;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The resource descriptors of a {@code _CRS} (ACPI 6.x, 6.4): a fixed 32-bit memory range and an
 * extended interrupt, closed by the end tag. What {@code ResourceTemplate () { ... }} compiles to.
 */
final class ResourceTemplate {

    private static final int MEMORY32_FIXED = 0x86;
    private static final int EXTENDED_INTERRUPT = 0x89;
    private static final int END_TAG = 0x79;
    private static final int READ_WRITE = 1;
    private static final int CONSUMER = 1;
    private static final int EDGE = 1 << 1;
    private static final int ACTIVE_LOW = 1 << 2;

    /** How an interrupt line signals: what the guest programs its IOAPIC pin with. */
    enum Trigger { EDGE_ACTIVE_HIGH, LEVEL_ACTIVE_HIGH, LEVEL_ACTIVE_LOW }

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

    /** {@code Interrupt (ResourceConsumer, trigger, Exclusive) { gsi }}. */
    static byte[] interrupt(int gsi, Trigger trigger) {
        int flags = CONSUMER | switch (trigger) {
            case EDGE_ACTIVE_HIGH -> EDGE;
            case LEVEL_ACTIVE_HIGH -> 0;
            case LEVEL_ACTIVE_LOW -> ACTIVE_LOW;
        };
        return ByteBuffer.allocate(9).order(ByteOrder.LITTLE_ENDIAN).put((byte) EXTENDED_INTERRUPT).putShort((short) 6)
                .put((byte) flags).put((byte) 1).putInt(gsi).array();
    }

    /** The descriptors followed by the end tag (checksum 0: "treat as correct"). */
    static byte[] of(byte[]... descriptors) {
        return Aml.concat(Aml.concat(descriptors), new byte[] {END_TAG, 0});
    }
}
