package dev.ferry.vm.block.qcow2;

/**
 * Consecutive guest bytes that one L2 lookup pass resolved alike.
 *
 * @param kind where the bytes come from
 * @param guestOffset the run's first guest byte
 * @param length the run's length in bytes
 * @param host where the first byte is in the file (the run is contiguous there): for {@link Kind#DATA}
 *     and for preallocated {@link Kind#ZERO} clusters; 0 otherwise
 */
public record ClusterRun(Kind kind, long guestOffset, long length, long host) {

    /** The kinds of qcow2 clusters a read tells apart. */
    public enum Kind {
        /** Stored in this image at {@code host}. */
        DATA,
        /** A zero cluster (v3), possibly with preallocated host space. */
        ZERO,
        /** Not in this image: the backing file, or zeroes without one. */
        UNALLOCATED
    }
}
