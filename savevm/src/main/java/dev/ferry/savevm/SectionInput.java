package dev.ferry.savevm;

import java.io.IOException;
import java.lang.foreign.MemorySegment;

/**
 * One frame's payload, as a section's load sees it. Reading past the end fails with a
 * {@link MigrationException} naming the section and frame; so do bytes left unread.
 * Multi-byte values are little-endian.
 */
public interface SectionInput {

    /**
     * Bytes of this frame's payload not read yet.
     *
     * @return bytes left, 0 at the end of the frame
     */
    long remaining();

    /**
     * Reads one byte.
     *
     * @return the byte
     * @throws IOException if the frame has no byte left
     */
    byte readByte() throws IOException;

    /**
     * Reads a little-endian int.
     *
     * @return the int
     * @throws IOException if the frame has fewer than 4 bytes left
     */
    int readInt() throws IOException;

    /**
     * Reads a little-endian long.
     *
     * @return the long
     * @throws IOException if the frame has fewer than 8 bytes left
     */
    long readLong() throws IOException;

    /**
     * Fills {@code into} from the frame.
     *
     * @param into the array to fill completely
     * @throws IOException if the frame has fewer bytes left than {@code into} holds
     */
    void read(byte[] into) throws IOException;

    /**
     * Zero-copy: a read-only view of the next {@code bytes} bytes, valid until load returns.
     *
     * @param bytes how many bytes to read
     * @return a read-only view of them
     * @throws IOException if the frame has fewer bytes left
     */
    MemorySegment read(long bytes) throws IOException;

    /**
     * Reads a record written by {@link SectionOutput#writeRecord}; checks its shape.
     *
     * @param <R> the record type
     * @param type the record class the writer wrote
     * @return the decoded record
     * @throws IOException if the bytes do not decode as {@code type}
     */
    <R extends Record> R readRecord(Class<R> type) throws IOException;
}
