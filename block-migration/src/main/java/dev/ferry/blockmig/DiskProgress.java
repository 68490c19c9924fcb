package dev.ferry.blockmig;

/**
 * Told of a disk's progress on the source: after setup, after each iteration and at the end.
 * Runs on the migration thread between chunks, so it must be quick.
 */
@FunctionalInterface
public interface DiskProgress {

    /** Ignores every report. */
    DiskProgress NONE = stats -> { };

    /**
     * Takes one report.
     *
     * @param stats the disk's progress now
     */
    void progress(DiskStats stats);
}
