package dev.ferry.savevm.fuzz;

import com.dynatrace.hash4j.hashing.Hashing;
import dev.ferry.savevm.stream.FrameChecksum;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Makes fuzzed bytes pass the frame envelope: walks the frames as the reader will, renumbers
 * their sequence and recomputes the checksum their flags name (CRC32C, or XXH3-64 through
 * hash4j's one-shot hash of an array, not the writer's code). Random mutations then reach the
 * section parsers instead of dying at the checksum, modelling a buggy or hostile source that
 * seals garbage properly. Offsets follow docs/stream-format.md; the walk stops where the reader
 * would refuse the stream (a length over the limit, flags that name no checksum).
 */
public final class Resealer {

    static final int HEADER = 16;
    private static final int FLAGS = 1;
    private static final int SEQUENCE = 4;
    private static final int LENGTH = 12;
    private static final long MAX_PAYLOAD = 16 << 20;

    private Resealer() {
    }

    /** A frame as the reader will see it: where it starts, its payload length and its trailer. */
    record FrameAt(int offset, int length, FrameChecksum checksum) {
        int payload() {
            return offset + HEADER;
        }

        int end() {
            return payload() + length + checksum.bytes();
        }
    }

    /** The whole frames of {@code stream}, in order, up to the first one the reader would refuse for its length or flags. */
    static List<FrameAt> frames(byte[] stream) {
        ByteBuffer bytes = ByteBuffer.wrap(stream).order(ByteOrder.LITTLE_ENDIAN);
        List<FrameAt> frames = new ArrayList<>();
        int at = 0;
        while (at + HEADER <= stream.length) {
            long length = Integer.toUnsignedLong(bytes.getInt(at + LENGTH));
            var checksum = FrameChecksum.ofFlags(Byte.toUnsignedInt(stream[at + FLAGS]));
            if (checksum.isEmpty() || length > MAX_PAYLOAD || at + HEADER + length + checksum.get().bytes() > stream.length) {
                break;
            }
            FrameAt frame = new FrameAt(at, (int) length, checksum.get());
            frames.add(frame);
            at = frame.end();
        }
        return frames;
    }

    static byte[] reseal(byte[] stream) {
        byte[] sealed = stream.clone();
        List<FrameAt> frames = frames(sealed);
        for (int sequence = 0; sequence < frames.size(); sequence++) {
            FrameAt frame = frames.get(sequence);
            ByteBuffer.wrap(sealed).order(ByteOrder.LITTLE_ENDIAN).putInt(frame.offset() + SEQUENCE, sequence);
            seal(sealed, frame);
        }
        return sealed;
    }

    /**
     * {@code stream} with every frame from index {@code first} on sealed with {@code checksum}
     * (flags and trailer rewritten), as a source that chose it after the configuration's ACK writes
     * it; the frames before stay as they are. Everything after the last whole frame is dropped.
     */
    public static byte[] sealedWith(byte[] stream, FrameChecksum checksum, int first) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        List<FrameAt> frames = frames(stream);
        for (int i = 0; i < frames.size(); i++) {
            FrameAt frame = frames.get(i);
            if (i < first) {
                out.write(stream, frame.offset(), frame.end() - frame.offset());
                continue;
            }
            FrameAt moved = new FrameAt(0, frame.length(), checksum);
            byte[] bytes = new byte[moved.end()];
            System.arraycopy(stream, frame.offset(), bytes, 0, HEADER + frame.length());
            bytes[FLAGS] = (byte) checksum.flags();
            seal(bytes, moved);
            out.writeBytes(bytes);
        }
        return out.toByteArray();
    }

    /** Writes the trailer {@code frame}'s checksum names over its header and payload. */
    private static void seal(byte[] stream, FrameAt frame) {
        ByteBuffer bytes = ByteBuffer.wrap(stream).order(ByteOrder.LITTLE_ENDIAN);
        int trailer = frame.payload() + frame.length();
        switch (frame.checksum()) {
            case CRC32C -> {
                CRC32C crc = new CRC32C();
                crc.update(stream, frame.offset(), HEADER + frame.length());
                bytes.putInt(trailer, (int) crc.getValue());
            }
            case XXH3_64 -> bytes.putLong(trailer, Hashing.xxh3_64().hashBytesToLong(stream, frame.offset(), HEADER + frame.length()));
        }
    }
}
