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
import java.util.EnumSet;
import java.util.Set;

/**
 * Reads frames and checks each before anyone sees it: known kind, a checksum this reader accepts,
 * length within the limit, matching checksum, the next sequence number. A corrupt, truncated or
 * reordered stream fails here with a message naming the frame; nothing of a bad frame is handed
 * on. It accepts CRC32C, and XXH3-64 once its side offered it ({@link #accept}).
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
    private final FrameHasher hasher = new FrameHasher();
    private final Set<FrameChecksum> accepted = EnumSet.of(FrameChecksum.CRC32C);
    private int sequence;
    private long bytesRead;

    public FrameReader(ReadableByteChannel channel, int maxPayload) {
        this.channel = channel;
        this.maxPayload = maxPayload;
        // Sized by the frames that come: a control stream's stay small, a data stream's grow it once.
        this.frame = new FrameBuffer(StreamFormat.HEADER_BYTES + (long) StreamFormat.CONTROL_PAYLOAD + StreamFormat.MAX_TRAILER_BYTES,
                StreamFormat.HEADER_BYTES + (long) maxPayload + StreamFormat.MAX_TRAILER_BYTES);
        this.buffer = frame.segment();
    }

    public long bytesRead() {
        return bytesRead;
    }

    /** Accepts frames sealed with {@code checksum} from now on: the destination offered it. */
    public void accept(FrameChecksum checksum) {
        accepted.add(checksum);
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
        FrameChecksum checksum = checksum(phase, where, kind, buffer.get(ValueLayout.JAVA_BYTE, StreamFormat.FLAGS));
        if (length > maxPayload) {
            throw new MigrationException(phase, where + " (" + kind + "): payload length " + length
                    + " exceeds the limit of " + maxPayload + " bytes (corrupt stream?)");
        }
        long covered = StreamFormat.HEADER_BYTES + length;
        long total = covered + checksum.bytes();
        buffer = frame.reserve(total, StreamFormat.HEADER_BYTES);
        if (fill(StreamFormat.HEADER_BYTES, total) < total - StreamFormat.HEADER_BYTES) {
            throw new LinkBrokenException(phase, where + " (" + kind + "): stream truncated inside the frame");
        }
        long expected = hasher.compute(checksum, buffer.asSlice(0, covered));
        long found = FrameHasher.read(checksum, buffer, covered);
        if (found != expected) {
            throw new MigrationException(phase, where + ": " + checksum + " mismatch (stream corrupt: 0x" + Long.toHexString(found)
                    + " read, 0x" + Long.toHexString(expected) + " computed)");
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

    /**
     * The checksum {@code flags} name, if this reader accepts it: a HEADER always has CRC32C (any
     * build must read a stream's version), XXH3-64 only once offered, other bits never.
     */
    private FrameChecksum checksum(Phase phase, String where, FrameKind kind, byte flags) throws MigrationException {
        int bits = Byte.toUnsignedInt(flags);
        String frameName = where + " (" + kind + ")";
        if ((bits & ~FrameChecksum.KNOWN_FLAGS) != 0) {
            throw new MigrationException(phase, frameName + ": unknown flag bits 0x" + Integer.toHexString(bits & ~FrameChecksum.KNOWN_FLAGS)
                    + " (corrupt stream, or a newer source this build cannot read)");
        }
        FrameChecksum checksum = FrameChecksum.ofFlags(bits).orElseThrow();
        if (checksum != FrameChecksum.CRC32C && (kind == FrameKind.HEADER || !accepted.contains(checksum))) {
            throw new MigrationException(phase, frameName + ": sealed with " + checksum + ", which "
                    + (kind == FrameKind.HEADER ? "a HEADER never is: it is always sealed with CRC32C"
                    : "this side did not offer: without the offer frames are sealed with CRC32C") + " (corrupt stream?)");
        }
        return checksum;
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
