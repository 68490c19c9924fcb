package dev.ferry.vm.memory;

import java.lang.foreign.MemorySegment;

/**
 * How bytes go into a RAM region's host memory: through its mapping, or through the memfd behind
 * it ({@code HostMemory.write}), where a page the write allocates is not cleared first.
 */
@FunctionalInterface
public interface HostWriter {

    /**
     * Writes {@code bytes} at {@code offset} into the region's host memory.
     *
     * @param offset bytes from the region's start
     * @param bytes what to write, inside the region from {@code offset}
     * @throws IndexOutOfBoundsException if the range is not inside the region
     */
    void write(long offset, MemorySegment bytes);

    /**
     * Writes through the mapping {@code host}.
     *
     * @param host the region's host mapping
     * @return the writer
     */
    static HostWriter into(MemorySegment host) {
        return (offset, bytes) -> MemorySegment.copy(bytes, 0, host, offset, bytes.byteSize());
    }
}
