package dev.ferry.vm.block;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A disk image as the VM and the block migration see it: a fixed-size array of bytes with
 * allocation knowledge. Implementations are safe for concurrent use by one guest I/O thread and
 * one migration thread.
 *
 * <p>Offsets and lengths of {@link #read}, {@link #write} and {@link #writeZeroes} must be
 * multiples of {@link #SECTOR_SIZE}; the range must lie inside {@link #size()} (else
 * IllegalArgumentException: the caller validates guest requests first). Problems of the image
 * itself are {@link ImageException}s naming the file. Native (off-heap) segments go straight to
 * the file; heap segments work through a bounce buffer.
 */
public interface BlockDevice extends AutoCloseable {

    int SECTOR_SIZE = 512;

    /** The image file this device reads and writes. */
    Path path();

    ImageFormat format();

    /** Virtual size in bytes, a multiple of {@link #SECTOR_SIZE}. */
    long size();

    boolean readOnly();

    /** The next layer down a copy-on-write chain, if this image has one. */
    Optional<BlockDevice> backing();

    /** Reads {@code dst.byteSize()} bytes at {@code offset} into {@code dst}. */
    void read(long offset, MemorySegment dst) throws IOException;

    /** Writes all of {@code src} at {@code offset}, then tells the write observers. */
    void write(long offset, MemorySegment src) throws IOException;

    /**
     * Makes the range read as zeroes, then tells the write observers. With {@code mayUnmap} the
     * image may release the space (a hole in raw, an unallocated or zero cluster in qcow2).
     */
    void writeZeroes(long offset, long length, boolean mayUnmap) throws IOException;

    /** Makes every completed write durable, metadata included. */
    void flush() throws IOException;

    /**
     * Where the bytes at {@code offset} come from: the returned extent starts at {@code offset},
     * is at most {@code length} long, and has one status throughout.
     */
    Extent allocation(long offset, long length) throws IOException;

    /**
     * Registers an observer of every write and write-zeroes. The observer runs after the data is
     * in the image and before the write returns to its caller, so a migration that clears a dirty
     * mark before it reads a range never misses a write. Closing the handle unregisters it.
     */
    Registration observe(WriteObserver observer);

    /** Observers registered and not yet closed: non-zero while a migration tracks this disk's writes. */
    int observerCount();

    @Override
    void close() throws IOException;

    /** An observer's registration; closing it stops the notifications. */
    interface Registration extends AutoCloseable {
        @Override
        void close();
    }
}
