package dev.ferry.savevm.fuzz;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Makes fuzzed bytes pass the frame envelope: walks the frames as the reader will, renumbers
 * their sequence and recomputes their CRC32C. Random mutations then reach the section parsers
 * instead of dying at the CRC, modelling a buggy or hostile source that seals garbage properly.
 * Offsets follow docs/stream-format.md; the walk stops where the reader would refuse the stream.
 */
final class Resealer {

    static final int HEADER = 16;
    private static final int TRAILER = 4;
    private static final int SEQUENCE = 4;
    private static final int LENGTH = 12;
    private static final long MAX_PAYLOAD = 16 << 20;

    private Resealer() {
    }

    /** A frame as the reader will see it: where it starts and its payload length. */
    record FrameAt(int offset, int length) {
        int payload() {
            return offset + HEADER;
        }
    }

    /** The whole frames of {@code stream}, in order, up to the first one the reader would refuse for its length. */
    static List<FrameAt> frames(byte[] stream) {
        ByteBuffer bytes = ByteBuffer.wrap(stream).order(ByteOrder.LITTLE_ENDIAN);
        List<FrameAt> frames = new ArrayList<>();
        int at = 0;
        while (at + HEADER <= stream.length) {
            long length = Integer.toUnsignedLong(bytes.getInt(at + LENGTH));
            if (length > MAX_PAYLOAD || at + HEADER + length + TRAILER > stream.length) {
                break;
            }
            frames.add(new FrameAt(at, (int) length));
            at += HEADER + (int) length + TRAILER;
        }
        return frames;
    }

    static byte[] reseal(byte[] stream) {
        byte[] sealed = stream.clone();
        ByteBuffer bytes = ByteBuffer.wrap(sealed).order(ByteOrder.LITTLE_ENDIAN);
        List<FrameAt> frames = frames(sealed);
        for (int sequence = 0; sequence < frames.size(); sequence++) {
            FrameAt frame = frames.get(sequence);
            bytes.putInt(frame.offset() + SEQUENCE, sequence);
            CRC32C crc = new CRC32C();
            crc.update(sealed, frame.offset(), HEADER + frame.length());
            bytes.putInt(frame.payload() + frame.length(), (int) crc.getValue());
        }
        return sealed;
    }
}
