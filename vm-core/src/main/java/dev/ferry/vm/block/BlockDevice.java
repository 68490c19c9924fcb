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

    /** Bytes per sector: the unit of every offset and length. */
    int SECTOR_SIZE = 512;

    /**
     * The image file this device reads and writes.
     *
     * @return the path given at open
     */
    Path path();

    /**
     * The format of this layer.
     *
     * @return raw or qcow2
     */
    ImageFormat format();

    /**
     * Virtual size in bytes, a multiple of {@link #SECTOR_SIZE}.
     *
     * @return bytes
     */
    long size();

    /**
     * Whether writes are refused.
     *
     * @return true if opened read-only
     */
    boolean readOnly();

    /**
     * The next layer down a copy-on-write chain, if this image has one.
     *
     * @return the backing device, or empty
     */
    Optional<BlockDevice> backing();

    /**
     * Reads {@code dst.byteSize()} bytes at {@code offset} into {@code dst}.
     *
     * @param offset byte offset, a multiple of {@link #SECTOR_SIZE}
     * @param dst where the bytes go; its size a multiple of {@link #SECTOR_SIZE}
     * @throws IOException if the image cannot be read
     */
    void read(long offset, MemorySegment dst) throws IOException;

    /**
     * Writes all of {@code src} at {@code offset}, then tells the write observers.
     *
     * @param offset byte offset, a multiple of {@link #SECTOR_SIZE}
     * @param src the bytes; its size a multiple of {@link #SECTOR_SIZE}
     * @throws IOException if the image cannot be written or is read-only
     */
    void write(long offset, MemorySegment src) throws IOException;

    /**
     * Makes the range read as zeroes, then tells the write observers. With {@code mayUnmap} the
     * image may release the space (a hole in raw, an unallocated or zero cluster in qcow2).
     *
     * @param offset byte offset, a multiple of {@link #SECTOR_SIZE}
     * @param length bytes, a multiple of {@link #SECTOR_SIZE}
     * @param mayUnmap whether the space may be released
     * @throws IOException if the image cannot be written or is read-only
     */
    void writeZeroes(long offset, long length, boolean mayUnmap) throws IOException;

    /**
     * Makes every completed write durable, metadata included.
     *
     * @throws IOException if the file cannot be synced
     */
    void flush() throws IOException;

    /**
     * Where the bytes at {@code offset} come from: the returned extent starts at {@code offset},
     * is at most {@code length} long, and has one status throughout.
     *
     * @param offset byte offset
     * @param length bytes to look at, positive
     * @return the first extent at {@code offset}
     * @throws IOException if the image's metadata cannot be read
     */
    Extent allocation(long offset, long length) throws IOException;

    /**
     * Registers an observer of every write and write-zeroes. The observer runs after the data is
     * in the image and before the write returns to its caller, so a migration that clears a dirty
     * mark before it reads a range never misses a write. Closing the handle unregisters it.
     *
     * @param observer told of each write, on the writing thread
     * @return the handle; close it to unregister
     */
    Registration observe(WriteObserver observer);

    /**
     * Observers registered and not yet closed: non-zero while a migration tracks this disk's writes.
     *
     * @return observers
     */
    int observerCount();

    @Override
    void close() throws IOException;

    /** An observer's registration; closing it stops the notifications. */
    interface Registration extends AutoCloseable {
        @Override
        void close();
    }
}
