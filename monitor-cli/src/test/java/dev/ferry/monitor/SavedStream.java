package dev.ferry.monitor;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.zip.CRC32C;

/**
 * A migration stream saved to a file, cut into its frames (docs/stream-format.md) so a test can
 * reorder, duplicate or alter them: either keeping each frame's bytes as sent ({@link #raw}), or
 * re-encoding them with fresh sequence numbers and CRCs ({@link #renumbered}), so that only
 * Ferry's checks beyond the envelope can catch the change.
 */
record SavedStream(List<SavedStream.Frame> frames) {

    static final int HEADER = 0x01;
    static final int START = 0x10;
    static final int PART = 0x11;
    static final int END = 0x12;
    static final int FULL = 0x13;

    /** One frame: its envelope fields and payload, and the bytes it had in the stream. */
    record Frame(int kind, int sequence, int section, byte[] payload, byte[] sent) {

        /** The frame at {@code sequence} with {@code payload}, under a CRC that matches. */
        byte[] encode(int sequence, byte[] payload) {
            ByteBuffer out = ByteBuffer.allocate(FrameScanner.HEADER_BYTES + payload.length + FrameScanner.CRC_BYTES)
                    .order(ByteOrder.LITTLE_ENDIAN);
            out.put((byte) kind).put((byte) 0).putShort((short) 0).putInt(sequence).putInt(section).putInt(payload.length)
                    .put(payload);
            CRC32C crc = new CRC32C();
            crc.update(out.array(), 0, out.position());
            return out.putInt((int) crc.getValue()).array();
        }
    }

    SavedStream {
        frames = List.copyOf(frames);
    }

    static SavedStream parse(byte[] stream) {
        ByteBuffer in = ByteBuffer.wrap(stream).order(ByteOrder.LITTLE_ENDIAN);
        List<Frame> frames = new ArrayList<>();
        while (in.hasRemaining()) {
            int start = in.position();
            int kind = Byte.toUnsignedInt(in.get(start));
            int length = in.getInt(start + 12);
            byte[] payload = new byte[length];
            in.get(start + FrameScanner.HEADER_BYTES, payload);
            int size = FrameScanner.HEADER_BYTES + length + FrameScanner.CRC_BYTES;
            byte[] sent = new byte[size];
            in.get(start, sent);
            in.position(start + size);
            frames.add(new Frame(kind, in.getInt(start + 4), in.getInt(start + 8), payload, sent));
        }
        return new SavedStream(frames);
    }

    /** Where the first frame of {@code kind} is. */
    int first(int kind) {
        for (int i = 0; i < frames.size(); i++) {
            if (frames.get(i).kind() == kind) {
                return i;
            }
        }
        throw new AssertionError("no frame of kind " + kind + " in the saved stream");
    }

    /**
     * The stream with frame {@code index}'s payload changed by {@code change} (on a copy) under a
     * CRC that matches: only Ferry's checks beyond the envelope can tell.
     */
    byte[] altered(int index, Consumer<byte[]> change) {
        List<Frame> altered = new ArrayList<>(frames);
        Frame frame = altered.get(index);
        byte[] payload = frame.payload().clone();
        change.accept(payload);
        altered.set(index, new Frame(frame.kind(), frame.sequence(), frame.section(), payload, frame.encode(frame.sequence(), payload)));
        return raw(altered);
    }

    /** The frames' bytes as they were sent, in the given order. */
    static byte[] raw(List<Frame> frames) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        frames.forEach(frame -> out.writeBytes(frame.sent()));
        return out.toByteArray();
    }

    /** The frames in the given order, numbered 0, 1, ... with matching CRCs. */
    static byte[] renumbered(List<Frame> frames) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < frames.size(); i++) {
            out.writeBytes(frames.get(i).encode(i, frames.get(i).payload()));
        }
        return out.toByteArray();
    }
}
