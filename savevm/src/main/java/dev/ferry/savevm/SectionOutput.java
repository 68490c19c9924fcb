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

    /**
     * The most bytes one unit can hold: the payload room of an empty frame.
     *
     * @return bytes, positive
     */
    long maxUnitBytes();

    /**
     * Makes the next {@code bytes} bytes of writes land in one frame: seals the current frame
     * first if they would not fit.
     *
     * @param bytes the size of the writes to keep together
     * @throws IllegalArgumentException if {@code bytes > maxUnitBytes()}
     * @throws IOException if sealing the current frame fails on the channel
     */
    void keepTogether(long bytes) throws IOException;

    /**
     * Writes one byte, the low 8 bits of {@code value}.
     *
     * @param value the byte
     * @throws IOException if a full frame cannot be sent
     */
    void writeByte(int value) throws IOException;

    /**
     * Writes a little-endian int.
     *
     * @param value the int
     * @throws IOException if a full frame cannot be sent
     */
    void writeInt(int value) throws IOException;

    /**
     * Writes a little-endian long.
     *
     * @param value the long
     * @throws IOException if a full frame cannot be sent
     */
    void writeLong(long value) throws IOException;

    /**
     * Copies {@code bytes} into the frame (one unit, so at most {@link #maxUnitBytes}).
     *
     * @param bytes the bytes to copy
     * @throws IOException if a full frame cannot be sent
     */
    void write(byte[] bytes) throws IOException;

    /**
     * Copies {@code bytes} into the frame (one unit, so at most {@link #maxUnitBytes}).
     *
     * @param bytes the bytes to copy
     * @throws IOException if a full frame cannot be sent
     */
    void write(MemorySegment bytes) throws IOException;

    /**
     * Zero-copy: a slice of the frame buffer of exactly {@code bytes} bytes, already counted as
     * written; fill it completely before the next call on this output (e.g. read a disk chunk
     * straight into it).
     *
     * @param bytes the slice's size, at most {@link #maxUnitBytes}
     * @return a writable slice, valid until the next call on this output
     * @throws IOException if a full frame cannot be sent
     */
    MemorySegment reserve(long bytes) throws IOException;

    /**
     * Says that the unit just written makes the destination write {@code bytes} that travel in no
     * payload (a zero marker's range): until the destination reports the frame applied, the source
     * counts them, not just the frame's own bytes, as not there yet, so it does not pause the
     * guest while a few bytes of markers still stand for gigabytes of work.
     *
     * @param bytes bytes the destination writes for the unit beyond its payload, not negative
     */
    void implies(long bytes);

    /**
     * Writes a record with the stream's record codec (one unit).
     *
     * @param value a record whose components the codec can encode
     * @throws IOException if a full frame cannot be sent, or the record's type is not encodable
     */
    void writeRecord(Record value) throws IOException;
}
