package dev.ferry.blockmig;

/** What of a disk the migration copies. */
public enum CopyMode {
    /** Every byte the guest sees (QEMU's {@code migrate -b}). */
    FULL,
    /**
     * Only what the top copy-on-write layer holds (QEMU's {@code migrate -i}): the destination
     * writes it into its own overlay over the same backing file.
     */
    INCREMENTAL
}
