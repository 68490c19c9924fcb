package dev.ferry.savevm.stream;

import dev.ferry.savevm.FrameKind;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.WritableByteChannel;

/**
 * Builds frames in one off-heap buffer and writes each, checksum attached, to the channel in one
 * go: {@link #begin}, fill through {@link #claim}, {@link #seal}. Large frames (up to the payload
 * size given) keep system calls few; the bandwidth limit is paid per frame. Frames are sealed
 * with CRC32C until {@link #sealWith} says otherwise; a HEADER always is. One thread only.
 */
public final class FrameWriter implements AutoCloseable {

    private final WritableByteChannel channel;
    private final FrameBuffer frame;
    private MemorySegment buffer;
    private final int maxPayload;
    private final TokenBucket bucket;
    private final ThroughputMeter meter;
    private final TokenBucket.Check<? extends IOException> abort;
    private final FrameHasher hasher = new FrameHasher();
    private FrameChecksum checksum = FrameChecksum.CRC32C;
    private int sequence;
    private int index = -1;
    private long length;
    /** Bytes the open frame makes the destination write beyond its payload ({@link #imply}). */
    private long implied;

    public FrameWriter(WritableByteChannel channel, int maxPayload, TokenBucket bucket, ThroughputMeter meter,
                       TokenBucket.Check<? extends IOException> abort) {
        this(channel, maxPayload, maxPayload, bucket, meter, abort);
    }

    private FrameWriter(WritableByteChannel channel, int maxPayload, int initialPayload, TokenBucket bucket, ThroughputMeter meter,
                        TokenBucket.Check<? extends IOException> abort) {
        if (maxPayload <= 0 || maxPayload > StreamFormat.MAX_PAYLOAD) {
            throw new IllegalArgumentException("frame payload size " + maxPayload + " outside 1.." + StreamFormat.MAX_PAYLOAD);
        }
        this.channel = channel;
        this.maxPayload = maxPayload;
        this.bucket = bucket;
        this.meter = meter;
        this.abort = abort;
        this.frame = new FrameBuffer(StreamFormat.HEADER_BYTES + (long) initialPayload + StreamFormat.MAX_TRAILER_BYTES,
                StreamFormat.HEADER_BYTES + (long) maxPayload + StreamFormat.MAX_TRAILER_BYTES);
        this.buffer = frame.segment();
    }

    /**
     * A writer without limit or cancel, for control frames (the destination's return path). Its buffer
     * starts at {@link StreamFormat#CONTROL_PAYLOAD} and grows when a frame needs more, so a claim past
     * that size moves the open frame: fill what an earlier claim of the same frame returned first.
     */
    public static FrameWriter unthrottled(WritableByteChannel channel, int maxPayload) {
        return new FrameWriter(channel, maxPayload, Math.min(maxPayload, StreamFormat.CONTROL_PAYLOAD),
                new TokenBucket(TokenBucket.UNLIMITED), new ThroughputMeter(), () -> { });
    }

    public int maxPayload() {
        return maxPayload;
    }

    public ThroughputMeter meter() {
        return meter;
    }

    /**
     * Seals every later frame but a HEADER with {@code checksum}: XXH3-64 only on a stream whose
     * destination offered it ({@link StreamFormat#ACCEPTS_XXH3}).
     */
    public void sealWith(FrameChecksum checksum) {
        this.checksum = checksum;
    }

    /** Starts a frame for section {@code sectionIndex} (0: none); any unsealed frame is dropped. */
    public void begin(int sectionIndex) {
        index = sectionIndex;
        length = 0;
        implied = 0;
    }

    /** Drops the open frame, if any, unsent (an empty iterate, or a failure before ABORT). */
    public void discard() {
        index = -1;
    }

    /** Payload bytes in the open frame. */
    public long length() {
        return length;
    }

    /** Payload room left in the open frame. */
    public long room() {
        return maxPayload - length;
    }

    /** The next {@code bytes} of the payload, counted as written; the caller fills them. */
    public MemorySegment claim(long bytes) {
        if (bytes > room()) {
            throw new IllegalStateException(bytes + " bytes do not fit the " + room() + " left in the frame");
        }
        long filled = StreamFormat.HEADER_BYTES + length;
        buffer = frame.reserve(filled + bytes + StreamFormat.MAX_TRAILER_BYTES, filled);
        MemorySegment slice = buffer.asSlice(filled, bytes);
        length += bytes;
        return slice;
    }

    /**
     * The open frame makes the destination write {@code bytes} more than its payload (a zero
     * marker's range); the meter keeps them with the frame.
     */
    public void imply(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("implied bytes must not be negative, got " + bytes);
        }
        if (index < 0) {
            throw new IllegalStateException("no frame begun");
        }
        implied += bytes;
    }

    /**
     * Seals the open frame as {@code kind} and writes it.
     *
     * @return the bytes written, framing included
     */
    public long seal(FrameKind kind) throws IOException {
        if (index < 0) {
            throw new IllegalStateException("no frame begun");
        }
        FrameChecksum trailer = kind == FrameKind.HEADER ? FrameChecksum.CRC32C : checksum;
        long covered = StreamFormat.HEADER_BYTES + length;
        long total = covered + trailer.bytes();
        // Pay the limit before taking a sequence number: a wait cut short by cancel leaves no gap.
        bucket.acquire(total, abort);
        buffer.set(ValueLayout.JAVA_BYTE, StreamFormat.KIND, (byte) kind.code());
        buffer.set(ValueLayout.JAVA_BYTE, StreamFormat.FLAGS, (byte) trailer.flags());
        buffer.set(StreamFormat.SHORT, 2, (short) 0);
        buffer.set(StreamFormat.INT, StreamFormat.SEQUENCE, sequence++);
        buffer.set(StreamFormat.INT, StreamFormat.INDEX, index);
        buffer.set(StreamFormat.INT, StreamFormat.LENGTH, (int) length);
        FrameHasher.write(trailer, buffer, covered, hasher.compute(trailer, buffer.asSlice(0, covered)));
        index = -1;
        ByteBuffer bytes = buffer.asSlice(0, total).asByteBuffer();
        try {
            while (bytes.hasRemaining()) {
                channel.write(bytes);
            }
        } catch (ClosedChannelException e) {
            throw new ChannelClosedException(e);
        }
        meter.record(total, implied);
        return total;
    }

    /** Writes a whole frame whose payload is {@code payload}. */
    public long writeFrame(FrameKind kind, int sectionIndex, byte[] payload) throws IOException {
        begin(sectionIndex);
        MemorySegment.copy(MemorySegment.ofArray(payload), 0, claim(payload.length), 0, payload.length);
        return seal(kind);
    }

    @Override
    public void close() {
        frame.close();
    }
}
