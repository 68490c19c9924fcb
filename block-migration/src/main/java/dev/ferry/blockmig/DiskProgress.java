package dev.ferry.blockmig;

/**
 * Told of a disk's progress on the source: after setup, after each iteration and at the end.
 * Runs on the migration thread between chunks, so it must be quick.
 */
@FunctionalInterface
public interface DiskProgress {

    /** Ignores every report. */
    DiskProgress NONE = stats -> { };

    void progress(DiskStats stats);
}
