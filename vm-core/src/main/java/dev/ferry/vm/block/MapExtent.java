package dev.ferry.vm.block;

import java.util.OptionalLong;

/**
 * One entry of {@code qemu-img map}: a run of guest bytes that one layer of a backing chain
 * answers alike.
 *
 * @param start the first guest byte
 * @param length the bytes in the run
 * @param depth the layer that answers: 0 the image itself, 1 its backing file, and so on; for bytes
 *     no layer holds, the lowest layer asked
 * @param present whether that layer holds the bytes (data or a zero cluster), rather than nobody
 * @param zero whether the bytes read as zeroes without being stored (zero clusters, holes, unallocated)
 * @param data whether the bytes are stored in the file
 * @param offset where the first byte is in that layer's file, when it has a place there
 */
public record MapExtent(long start, long length, int depth, boolean present, boolean zero, boolean data,
        OptionalLong offset) {

    /**
     * Whether {@code next} continues this run, so qemu-img map prints them as one.
     *
     * @param next the run after this one
     * @return whether it starts where this one ends and matches it in every field (offsets contiguous)
     */
    public boolean continuedBy(MapExtent next) {
        return next.start == start + length && next.depth == depth && next.present == present
                && next.zero == zero && next.data == data && next.offset.isPresent() == offset.isPresent()
                && (offset.isEmpty() || next.offset.getAsLong() == offset.getAsLong() + length);
    }

    /**
     * This run extended by {@code next}, which {@link #continuedBy continues} it.
     *
     * @param next the continuing run
     * @return one run covering both
     */
    public MapExtent joined(MapExtent next) {
        return new MapExtent(start, length + next.length, depth, present, zero, data, offset);
    }
}
