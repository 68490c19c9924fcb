package dev.ferry.vm.block;

/**
 * Told of each write to a {@link BlockDevice}. It may block to slow the writer down: a block
 * migration throttles a guest that dirties its disk faster than the copy can follow.
 */
@FunctionalInterface
public interface WriteObserver {

    /**
     * {@code length} bytes at {@code offset} now hold new content.
     *
     * @param offset byte offset of the write
     * @param length bytes written
     */
    void written(long offset, long length);
}
