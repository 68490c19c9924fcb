package dev.ferry.savevm;

import java.io.IOException;
import java.lang.foreign.MemorySegment;

/**
 * One frame's payload, as a section's load sees it. Reading past the end fails with a
 * {@link MigrationException} naming the section and frame; so do bytes left unread.
 * Multi-byte values are little-endian.
 */
public interface SectionInput {

    /** Bytes of this frame's payload not read yet. */
    long remaining();

    byte readByte() throws IOException;

    int readInt() throws IOException;

    long readLong() throws IOException;

    void read(byte[] into) throws IOException;

    /** Zero-copy: a read-only view of the next {@code bytes} bytes, valid until load returns. */
    MemorySegment read(long bytes) throws IOException;

    /** Reads a record written by {@link SectionOutput#writeRecord}; checks its shape. */
    <R extends Record> R readRecord(Class<R> type) throws IOException;
}
