package dev.ferry.vm.linux;

import java.nio.charset.StandardCharsets;

/**
 * The byte rules the PC's firmware tables share, the MP table's and ACPI's alike: ids are
 * fixed-width ASCII, and a checksum byte makes its range sum to zero.
 */
final class FirmwareBytes {

    private FirmwareBytes() {
    }

    /** The byte that makes {@code bytes[from, to)} sum to zero, its own place holding 0. */
    static byte checksum(byte[] bytes, int from, int to) {
        int sum = 0;
        for (int i = from; i < to; i++) {
            sum += bytes[i];
        }
        return (byte) -sum;
    }

    /** {@code s} as the {@code length} ASCII bytes of a fixed-width id field. */
    static byte[] ascii(String s, int length) {
        byte[] bytes = s.getBytes(StandardCharsets.US_ASCII);
        if (bytes.length != length) {
            throw new IllegalArgumentException("firmware table id '" + s + "': " + length + " characters expected");
        }
        return bytes;
    }
}
