package dev.ferry.savevm.stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.dynatrace.hash4j.hashing.Hashing;
import dev.ferry.savevm.FrameKind;
import dev.ferry.savevm.MigrationException;
import dev.ferry.savevm.Phase;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

/** Frames sealed with XXH3-64: self-describing, checked, and refused where not offered. */
class FrameChecksumTest {

    /** Larger than the hasher's 64 KiB scratch and not a multiple of it. */
    private static final byte[] PAYLOAD = new byte[(200 << 10) + 7];
    private static final int TRAILER_AT = StreamFormat.HEADER_BYTES;

    static {
        new Random(19).nextBytes(PAYLOAD);
    }

    /** HEADER, then a PART of {@link #PAYLOAD} for section 3, sealed with {@code checksum}. */
    private static byte[] stream(FrameChecksum checksum) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (FrameWriter writer = FrameWriter.unthrottled(Channels.newChannel(bytes), StreamFormat.MAX_PAYLOAD)) {
            writer.sealWith(checksum);
            writer.writeFrame(FrameKind.HEADER, 0, StreamFormat.MAGIC);
            writer.writeFrame(FrameKind.PART, 3, PAYLOAD);
        }
        return bytes.toByteArray();
    }

    private static FrameReader reader(byte[] stream, boolean offersXxh3) {
        FrameReader reader = new FrameReader(Channels.newChannel(new ByteArrayInputStream(stream)), StreamFormat.MAX_PAYLOAD);
        if (offersXxh3) {
            reader.accept(FrameChecksum.XXH3_64);
        }
        return reader;
    }

    /** Reads both frames; the first failure's message. */
    private static String refusal(byte[] stream, boolean offersXxh3) {
        try (FrameReader reader = reader(stream, offersXxh3)) {
            return assertThrows(MigrationException.class, () -> {
                reader.next(Phase.LOAD);
                reader.next(Phase.LOAD);
            }).getMessage();
        }
    }

    private static int partAt() {
        return StreamFormat.HEADER_BYTES + StreamFormat.MAGIC.length + FrameChecksum.CRC32C.bytes();
    }

    @Test
    void aHeaderStaysCrc32cAndTheNextFrameCarriesItsXxh3InEightBytes() throws Exception {
        byte[] stream = stream(FrameChecksum.XXH3_64);
        assertEquals(0, stream[1], "HEADER flags");
        CRC32C crc = new CRC32C();
        crc.update(stream, 0, StreamFormat.HEADER_BYTES + StreamFormat.MAGIC.length);
        assertEquals((int) crc.getValue(), ByteBuffer.wrap(stream).order(ByteOrder.LITTLE_ENDIAN)
                .getInt(StreamFormat.HEADER_BYTES + StreamFormat.MAGIC.length));
        int part = partAt();
        assertEquals(1, stream[part + 1], "PART flags: XXH3-64");
        int covered = StreamFormat.HEADER_BYTES + PAYLOAD.length;
        assertEquals(part + covered + 8, stream.length, "an 8-byte trailer");
        long expected = Hashing.xxh3_64().hashBytesToLong(stream, part, covered);
        assertEquals(expected, ByteBuffer.wrap(stream).order(ByteOrder.LITTLE_ENDIAN).getLong(part + covered),
                "hash4j's one-shot XXH3-64 of header and payload");
        try (FrameReader reader = reader(stream, true)) {
            assertEquals(FrameKind.HEADER, reader.next(Phase.HEADER).kind());
            Frame frame = reader.next(Phase.LOAD);
            assertEquals(3, frame.index());
            assertArrayEquals(PAYLOAD, frame.payload().toArray(ValueLayout.JAVA_BYTE));
        }
    }

    @Test
    void aFlippedByteInTheXxh3FramesPayloadOrHeaderNamesTheFrame() throws Exception {
        byte[] stream = stream(FrameChecksum.XXH3_64);
        int part = partAt();
        for (int offset : new int[] {part + TRAILER_AT + PAYLOAD.length / 2, part + 8, part + 2, stream.length - 1}) {
            byte[] corrupt = stream.clone();
            corrupt[offset] ^= 0x10;
            String message = refusal(corrupt, true);
            assertEquals("frame 1: XXH3-64 mismatch (stream corrupt: ", message.substring(0, message.indexOf("0x")), "byte " + offset);
        }
    }

    @Test
    void anXxh3FrameThisSideDidNotOfferIsRefused() throws Exception {
        assertEquals("frame 1 (PART): sealed with XXH3-64, which this side did not offer: without the offer frames are sealed"
                + " with CRC32C (corrupt stream?)", refusal(stream(FrameChecksum.XXH3_64), false));
    }

    @Test
    void aHeaderSealedWithXxh3IsRefusedEvenWhereOffered() throws Exception {
        byte[] header = Arrays.copyOf(stream(FrameChecksum.CRC32C), partAt());
        byte[] stream = resealed(header, 0, FrameChecksum.XXH3_64.flags(), FrameChecksum.XXH3_64);
        assertEquals("frame 0 (HEADER): sealed with XXH3-64, which a HEADER never is: it is always sealed with CRC32C"
                + " (corrupt stream?)", refusal(stream, true));
    }

    /** Every other bit of the flags byte, on a frame whose trailer is correct for what its low bit says. */
    @Test
    void unknownFlagBitsAreRefusedThoughTheChecksumMatches() throws Exception {
        for (int bit = 1; bit < 8; bit++) {
            for (FrameChecksum checksum : FrameChecksum.values()) {
                byte[] stream = resealed(stream(checksum), partAt(), checksum.flags() | 1 << bit, checksum);
                assertEquals("frame 1 (PART): unknown flag bits 0x" + Integer.toHexString(1 << bit)
                        + " (corrupt stream, or a newer source this build cannot read)", refusal(stream, true), checksum + " bit " + bit);
            }
        }
    }

    /**
     * {@code stream}, whose last frame starts at {@code at}, with that frame's flags set to {@code flags}
     * and its trailer recomputed as {@code checksum}: only the flags are wrong.
     */
    private static byte[] resealed(byte[] stream, int at, int flags, FrameChecksum checksum) {
        int covered = StreamFormat.HEADER_BYTES + ByteBuffer.wrap(stream).order(ByteOrder.LITTLE_ENDIAN).getInt(at + 12);
        byte[] out = Arrays.copyOf(stream, at + covered + checksum.bytes());
        out[at + 1] = (byte) flags;
        ByteBuffer trailer = ByteBuffer.wrap(out, at + covered, checksum.bytes()).order(ByteOrder.LITTLE_ENDIAN);
        if (checksum == FrameChecksum.CRC32C) {
            CRC32C crc = new CRC32C();
            crc.update(out, at, covered);
            trailer.putInt((int) crc.getValue());
        } else {
            trailer.putLong(Hashing.xxh3_64().hashBytesToLong(out, at, covered));
        }
        return out;
    }
}
