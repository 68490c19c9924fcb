package dev.ferry.vm.linux;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The 36-byte header every ACPI system description table starts with (signature, length,
 * revision, checksum, OEM and creator ids); its checksum makes the whole table sum to zero.
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
        b.put(FirmwareBytes.ascii(signature, 4)).putInt(b.capacity()).put((byte) revision).put((byte) 0)
                .put(FirmwareBytes.ascii(OEM_ID, 6)).put(FirmwareBytes.ascii(OEM_TABLE_ID, 8)).putInt(OEM_REVISION)
                .put(FirmwareBytes.ascii(CREATOR_ID, 4)).putInt(CREATOR_REVISION).put(body);
        byte[] table = b.array();
        table[CHECKSUM_OFFSET] = FirmwareBytes.checksum(table, 0, table.length);
        return table;
    }
}
