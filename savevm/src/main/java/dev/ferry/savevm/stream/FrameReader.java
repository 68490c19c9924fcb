package dev.ferry.savevm.stream;

import dev.ferry.savevm.FrameKind;
import dev.ferry.savevm.MigrationException;
import dev.ferry.savevm.Phase;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ReadableByteChannel;

/**
 * Reads frames and checks each before anyone sees it: known kind, length within the limit,
 * the next sequence number, matching CRC32C. A corrupt, truncated or reordered stream fails here
 * with a message naming the frame; nothing of a bad frame is handed on.
 */
public final class FrameReader implements AutoCloseable {

    private static final FrameKind[] KINDS = new FrameKind[256];

    static {
        for (FrameKind kind : FrameKind.values()) {
            KINDS[kind.code()] = kind;
        }
    }

    private final ReadableByteChannel channel;
    private final FrameBuffer frame;
    private MemorySegment buffer;
    private final int maxPayload;
    private int sequence;
    private long bytesRead;

    public FrameReader(ReadableByteChannel channel, int maxPayload) {
        this.channel = channel;
        this.maxPayload = maxPayload;
        // Sized by the frames that come: a control stream's stay small, a data stream's grow it once.
        this.frame = new FrameBuffer(StreamFormat.HEADER_BYTES + (long) StreamFormat.CONTROL_PAYLOAD + StreamFormat.TRAILER_BYTES,
                StreamFormat.HEADER_BYTES + (long) maxPayload + StreamFormat.TRAILER_BYTES);
        this.buffer = frame.segment();
    }

    public long bytesRead() {
        return bytesRead;
    }

    /**
     * The next frame.
     *
     * @throws MigrationException in {@code phase} if the stream ends, is corrupt or out of order
     */
    public Frame next(Phase phase) throws IOException {
        String where = "frame " + Integer.toUnsignedString(sequence);
        long got = fill(0, StreamFormat.HEADER_BYTES);
        if (got == 0) {
            throw new LinkBrokenException(phase, "stream ended before " + where + " (no EOF frame: the source stopped or the connection dropped)");
        }
        if (got < StreamFormat.HEADER_BYTES) {
            throw new LinkBrokenException(phase, where + ": stream truncated inside the frame header");
        }
        int code = Byte.toUnsignedInt(buffer.get(ValueLayout.JAVA_BYTE, StreamFormat.KIND));
        FrameKind kind = KINDS[code];
        long length = Integer.toUnsignedLong(buffer.get(StreamFormat.INT, StreamFormat.LENGTH));
        if (kind == null) {
            throw new MigrationException(phase, where + ": unknown frame kind 0x" + Integer.toHexString(code) + " (corrupt stream?)");
        }
        if (length > maxPayload) {
            throw new MigrationException(phase, where + " (" + kind + "): payload length " + length
                    + " exceeds the limit of " + maxPayload + " bytes (corrupt stream?)");
        }
        long total = StreamFormat.HEADER_BYTES + length + StreamFormat.TRAILER_BYTES;
        buffer = frame.reserve(total, StreamFormat.HEADER_BYTES);
        if (fill(StreamFormat.HEADER_BYTES, total) < total - StreamFormat.HEADER_BYTES) {
            throw new LinkBrokenException(phase, where + " (" + kind + "): stream truncated inside the frame");
        }
        long covered = StreamFormat.HEADER_BYTES + length;
        int expectedCrc = StreamFormat.crc(buffer.asSlice(0, covered));
        int crc = buffer.get(StreamFormat.INT, covered);
        if (crc != expectedCrc) {
            throw new MigrationException(phase, where + ": CRC32C mismatch (stream corrupt: 0x" + Integer.toHexString(crc)
                    + " read, 0x" + Integer.toHexString(expectedCrc) + " computed)");
        }
        int frameSequence = buffer.get(StreamFormat.INT, StreamFormat.SEQUENCE);
        if (frameSequence != sequence) {
            throw new MigrationException(phase, where + " (" + kind + "): carries sequence number "
                    + Integer.toUnsignedString(frameSequence) + " (frames lost, duplicated or reordered)");
        }
        sequence++;
        bytesRead += total;
        int index = buffer.get(StreamFormat.INT, StreamFormat.INDEX);
        return new Frame(kind, frameSequence, index, buffer.asSlice(StreamFormat.HEADER_BYTES, length).asReadOnly());
    }

    /** Reads buffer bytes [from, to); returns how many arrived before the stream ended. */
    private long fill(long from, long to) throws IOException {
        ByteBuffer bytes = buffer.asSlice(from, to - from).asByteBuffer();
        try {
            while (bytes.hasRemaining()) {
                if (channel.read(bytes) < 0) {
                    break;
                }
            }
        } catch (ClosedChannelException e) {
            throw new ChannelClosedException(e);
        }
        return bytes.position();
    }

    @Override
    public void close() {
        frame.close();
    }
}
