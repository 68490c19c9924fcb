package dev.ferry.savevm;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Which checksum a source seals its frames with once the destination offers a choice: by
 * measurement of this CPU (the default), or the one the operator names. A named XXH3-64 still
 * needs the destination's offer; without it the frames stay CRC32C, as every destination reads.
 */
public enum FrameChecksumMode {
    /** CRC32C where the CPU runs it in hardware, XXH3-64 where it does not (measured at first use). */
    AUTO("auto"),
    /** CRC32C always. */
    CRC32C("crc32c"),
    /** XXH3-64 whenever the destination offers it. */
    XXH3("xxh3");

    private final String word;

    FrameChecksumMode(String word) {
        this.word = word;
    }

    /**
     * The mode a monitor word names.
     *
     * @param word {@code auto}, {@code crc32c} or {@code xxh3}
     * @return the mode
     * @throws IllegalArgumentException for another word
     */
    public static FrameChecksumMode of(String word) {
        for (FrameChecksumMode mode : values()) {
            if (mode.word.equals(word.toLowerCase(Locale.ROOT))) {
                return mode;
            }
        }
        throw new IllegalArgumentException("'" + word + "' is not one of "
                + Arrays.stream(values()).map(FrameChecksumMode::toString).collect(Collectors.joining(", ")));
    }

    /** The monitor's word for it. */
    @Override
    public String toString() {
        return word;
    }
}
