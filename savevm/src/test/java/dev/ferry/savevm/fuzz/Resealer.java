package dev.ferry.savevm.fuzz;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * Makes fuzzed bytes pass the frame envelope: walks the frames as the reader will, renumbers
 * their sequence and recomputes their CRC32C. Random mutations then reach the section parsers
 * instead of dying at the CRC, modelling a buggy or hostile source that seals garbage properly.
 * Offsets follow docs/stream-format.md; the walk stops where the reader would refuse the stream.
 */
final class Resealer {

    private static final int HEADER = 16;
    private static final int TRAILER = 4;
    private static final int SEQUENCE = 4;
    private static final int LENGTH = 12;
    private static final long MAX_PAYLOAD = 16 << 20;

    private Resealer() {
    }

    static byte[] reseal(byte[] stream) {
        byte[] sealed = stream.clone();
        ByteBuffer bytes = ByteBuffer.wrap(sealed).order(ByteOrder.LITTLE_ENDIAN);
        int at = 0;
        for (int sequence = 0; at + HEADER <= sealed.length; sequence++) {
            long length = Integer.toUnsignedLong(bytes.getInt(at + LENGTH));
            if (length > MAX_PAYLOAD || at + HEADER + length + TRAILER > sealed.length) {
                break;
            }
            bytes.putInt(at + SEQUENCE, sequence);
            CRC32C crc = new CRC32C();
            crc.update(sealed, at, HEADER + (int) length);
            bytes.putInt(at + HEADER + (int) length, (int) crc.getValue());
            at += HEADER + (int) length + TRAILER;
        }
        return sealed;
    }
}
