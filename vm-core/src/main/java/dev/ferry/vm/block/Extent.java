package dev.ferry.vm.block;

/** A run of bytes of a block device that share one {@link Allocation}. */
public record Extent(long offset, long length, Allocation allocation) {

    public Extent {
        if (offset < 0 || length <= 0) {
            throw new IllegalArgumentException("bad extent " + offset + "+" + length);
        }
    }

    public long end() {
        return offset + length;
    }
}
