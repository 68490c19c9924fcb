package dev.ferry.savevm.stream;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The frame envelope of docs/stream-format.md: a 16-byte header (kind u8, flags u8, reserved
 * u16, sequence u32, section index u32, payload length u32), the payload, and a checksum of header
 * and payload: CRC32C, or XXH3-64 where the flags say so ({@link FrameChecksum}). Everything
 * little-endian. The envelope of the HEADER frame never changes (flags 0, CRC32C), so any build
 * can read a stream's version before refusing it.
 */
public final class StreamFormat {

    private StreamFormat() {
    }

    /** "FERRYMIG": the first bytes of a HEADER frame's payload. */
    public static final byte[] MAGIC = "FERRYMIG".getBytes(StandardCharsets.US_ASCII);
    /** Bumped on any change an older reader would misread; readers refuse another major. */
    public static final int MAJOR = 2;
    /**
     * Bumped on compatible additions; 1 added PROGRESS reports on the return path, 2 frames sealed
     * with XXH3-64 once the destination offers {@link #ACCEPTS_XXH3} (the offer, not the version, gates them).
     */
    public static final int MINOR = 2;
    /** The first minor version whose source reads PROGRESS frames on the return path. */
    public static final int MINOR_PROGRESS = 1;
    /**
     * The configuration's ACK offer with which a destination says it sends PROGRESS reports. The
     * ACK's text lists offers separated by commas ({@link #offers}); an empty text offers nothing.
     */
    public static final String REPORTS_PROGRESS = "progress";
    /**
     * The configuration's ACK offer with which the destination says it will wait for a resume
     * after a broken link; without it the source fails on a break, as the destination does.
     */
    public static final String WAITS_FOR_RESUME = "resume=on";
    /**
     * The configuration's ACK offer with which the destination says it checks frames sealed with
     * XXH3-64 ({@link FrameChecksum}); without it the source seals every frame with CRC32C. It holds
     * for the migration: on a resumed link as on the first.
     */
    public static final String ACCEPTS_XXH3 = "checksum=xxh3";

    public static final int HEADER_BYTES = 16;
    /** The largest trailer ({@link FrameChecksum#bytes}), which buffers leave room for. */
    public static final int MAX_TRAILER_BYTES = 8;
    /** The largest payload any reader accepts: a corrupt length can't make it allocate more. */
    public static final int MAX_PAYLOAD = 16 << 20;
    /** The payload size the source writer fills before sealing a frame. */
    public static final int WRITER_PAYLOAD = 4 << 20;
    /** The payload limit on the return path, which carries only ACK, NACK and PROGRESS. */
    public static final int CONTROL_PAYLOAD = 64 << 10;
    /** How a destination's NACK begins when it only echoes the source's ABORT. */
    public static final String SOURCE_ABORTED = "the source aborted the migration: ";

    static final int KIND = 0;
    static final int FLAGS = 1;
    static final int SEQUENCE = 4;
    static final int INDEX = 8;
    static final int LENGTH = 12;

    public static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /**
     * The configuration's ACK text for these offers.
     *
     * @param offers what the destination offers ({@link #REPORTS_PROGRESS}, {@link #WAITS_FOR_RESUME},
     *               {@link #ACCEPTS_XXH3})
     * @return them separated by commas
     */
    public static String answer(List<String> offers) {
        return String.join(",", offers);
    }

    /**
     * Whether the configuration's ACK text makes {@code offer}.
     *
     * @param answer the ACK's text
     * @param offer one offer
     * @return true if the text lists it
     */
    public static boolean offers(String answer, String offer) {
        return List.of(answer.split(",")).contains(offer);
    }
}
