package dev.ferry.vm.linux;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The 36-byte header every ACPI system description table starts with (signature, length,
 * revision, checksum, OEM and creator ids), and the checksum rule: all bytes sum to zero.
 */
final class AcpiTable {

    static final int HEADER_BYTES = 36;
    static final int CHECKSUM_OFFSET = 9;
    static final String OEM_ID = "FERRY ";
    static final String OEM_TABLE_ID = "FERRYVM ";
    private static final String CREATOR_ID = "FRRY";
    private static final int OEM_REVISION = 1;
    private static final int CREATOR_REVISION = 1;

    private AcpiTable() {
    }

    /** The table {@code signature} of {@code revision} with {@code body} after its header, checksummed. */
    static byte[] of(String signature, int revision, byte[] body) {
        ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES + body.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(ascii(signature, 4)).putInt(b.capacity()).put((byte) revision).put((byte) 0).put(ascii(OEM_ID, 6))
                .put(ascii(OEM_TABLE_ID, 8)).putInt(OEM_REVISION).put(ascii(CREATOR_ID, 4)).putInt(CREATOR_REVISION)
                .put(body);
        byte[] table = b.array();
        table[CHECKSUM_OFFSET] = checksum(table, 0, table.length);
        return table;
    }

    /** The byte that makes {@code bytes[from, to)} sum to zero, its own place holding 0. */
    static byte checksum(byte[] bytes, int from, int to) {
        int sum = 0;
        for (int i = from; i < to; i++) {
            sum += bytes[i];
        }
        return (byte) -sum;
    }

    static byte[] ascii(String s, int length) {
        byte[] bytes = s.getBytes(StandardCharsets.US_ASCII);
        if (bytes.length != length) {
            throw new IllegalArgumentException("ACPI id '" + s + "': " + length + " characters expected");
        }
        return bytes;
    }
}
