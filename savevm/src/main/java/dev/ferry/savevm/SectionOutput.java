package dev.ferry.savevm;

import java.io.IOException;
import java.lang.foreign.MemorySegment;

/**
 * Where a section writes during setup, iterate and complete: an off-heap frame buffer that is
 * sealed (CRC added) and written to the channel when full or when the section call returns.
 * Multi-byte values are little-endian. A single write call never straddles two frames; a larger
 * unit (e.g. address + page) asks {@link #keepTogether} first. All writes may block on the
 * bandwidth limit or the channel.
 */
public interface SectionOutput {

    /** The most bytes one unit can hold: the payload room of an empty frame. */
    long maxUnitBytes();

    /**
     * Makes the next {@code bytes} bytes of writes land in one frame: seals the current frame
     * first if they would not fit.
     *
     * @throws IllegalArgumentException if {@code bytes > maxUnitBytes()}
     */
    void keepTogether(long bytes) throws IOException;

    void writeByte(int value) throws IOException;

    void writeInt(int value) throws IOException;

    void writeLong(long value) throws IOException;

    void write(byte[] bytes) throws IOException;

    /** Copies {@code bytes} into the frame (one unit, so at most {@link #maxUnitBytes}). */
    void write(MemorySegment bytes) throws IOException;

    /**
     * Zero-copy: a slice of the frame buffer of exactly {@code bytes} bytes, already counted as
     * written; fill it completely before the next call on this output (e.g. read a disk chunk
     * straight into it).
     */
    MemorySegment reserve(long bytes) throws IOException;

    /** Writes a record with the stream's record codec (one unit). */
    void writeRecord(Record value) throws IOException;
}
