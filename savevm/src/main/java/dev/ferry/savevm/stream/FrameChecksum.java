package dev.ferry.savevm.stream;

import java.util.Optional;

/**
 * What a frame's trailer holds, named by the envelope's flags byte (docs/stream-format.md), so
 * every frame says how to check it. CRC32C is the default and the only one of a HEADER, the
 * return path and a stream without one; XXH3-64 only once the destination offered it
 * ({@link StreamFormat#ACCEPTS_XXH3}), for a source whose CPU runs CRC32C slowly
 * ({@link ChecksumChoice}).
 */
public enum FrameChecksum {
    /** CRC32C (Castagnoli) in 4 bytes: flags 0. */
    CRC32C("CRC32C", 0, 4),
    /** XXH3-64 (seed 0) in 8 bytes: flag bit 0. */
    XXH3_64("XXH3-64", 0x01, 8);

    /** The flag bits any checksum of this build sets; a frame with another bit set is refused. */
    static final int KNOWN_FLAGS = 0x01;

    private final String label;
    private final int flags;
    private final int bytes;

    FrameChecksum(String label, int flags, int bytes) {
        this.label = label;
        this.flags = flags;
        this.bytes = bytes;
    }

    /** The envelope's flags byte of a frame sealed with this checksum. */
    public int flags() {
        return flags;
    }

    /** The trailer's size. */
    public int bytes() {
        return bytes;
    }

    /** The checksum a frame's flags byte names, if it names one this build knows. */
    public static Optional<FrameChecksum> ofFlags(int flags) {
        for (FrameChecksum checksum : values()) {
            if (checksum.flags == flags) {
                return Optional.of(checksum);
            }
        }
        return Optional.empty();
    }

    @Override
    public String toString() {
        return label;
    }
}
