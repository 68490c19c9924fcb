package dev.ferry.vm.block;

/**
 * A run of bytes of a block device that share one {@link Allocation}.
 *
 * @param offset byte offset of the run's first byte, not negative
 * @param length bytes in the run, positive
 * @param allocation where all of them come from
 */
public record Extent(long offset, long length, Allocation allocation) {

    /**
     * Checks the range.
     *
     * @throws IllegalArgumentException if the offset is negative or the length not positive
     */
    public Extent {
        if (offset < 0 || length <= 0) {
            throw new IllegalArgumentException("bad extent " + offset + "+" + length);
        }
    }

    /**
     * The offset just after the run.
     *
     * @return {@code offset + length}
     */
    public long end() {
        return offset + length;
    }
}
