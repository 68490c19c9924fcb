package dev.ferry.vm.block.qcow2;

/**
 * Consecutive guest bytes that one L2 lookup pass resolved alike.
 *
 * @param host for {@link Kind#DATA}, where the first byte is in the file (the run is contiguous there)
 */
record ClusterRun(Kind kind, long guestOffset, long length, long host) {

    enum Kind {
        /** Stored in this image at {@code host}. */
        DATA,
        /** A zero cluster (v3), possibly with preallocated host space. */
        ZERO,
        /** Not in this image: the backing file, or zeroes without one. */
        UNALLOCATED
    }
}
