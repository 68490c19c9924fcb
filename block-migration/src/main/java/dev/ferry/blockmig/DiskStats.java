package dev.ferry.blockmig;

/**
 * One disk's progress, as {@code info migrate} shows it.
 *
 * @param drive             drive id
 * @param phase             where the copy is
 * @param totalBytes        bytes the bulk pass covers (the whole disk, or the top layer's allocation)
 * @param transferredBytes  bytes sent so far, data and zero markers
 * @param resentBytes       bytes of dirty granules sent again after the bulk pass covered them
 * @param remainingBytes    the current pending estimate
 * @param zeroChunks        ranges sent as a zero marker instead of data
 * @param dirtyPasses       completed passes over the dirty bitmap
 * @param dirtyBytesPerSecond bytes of chunks the guest dirtied per second in the last pass
 * @param bytesPerSecond    send throughput of the last pass (of the bulk pass before any)
 * @param throttlePercent   how much the guest's writes are slowed, 0 when they are not
 */
public record DiskStats(String drive, DiskMigration.Phase phase, long totalBytes, long transferredBytes,
                        long resentBytes, long remainingBytes, long zeroChunks, long dirtyPasses, long dirtyBytesPerSecond,
                        long bytesPerSecond, int throttlePercent) {

    private static final long MIB = 1 << 20;

    /**
     * A disk whose copy has not been set up yet.
     *
     * @param drive the drive id
     * @return stats in the bulk phase with every count at zero
     */
    public static DiskStats waiting(String drive) {
        return new DiskStats(drive, DiskMigration.Phase.BULK, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    }

    /**
     * How the copy keeps up with the guest: "free" or "throttled 40%".
     *
     * @return "free" or "throttled N%"
     */
    public String convergence() {
        return throttlePercent == 0 ? "free" : "throttled " + throttlePercent + "%";
    }

    /**
     * One line for {@code info migrate}, e.g. "vda: dirty pass 3, 812/1024 MiB sent, 20 MiB
     * re-sent, 4 MiB remaining, 96 zero chunks, 110 MiB/s, dirtied 30 MiB/s, throttled 40%".
     *
     * @return the line, no newline
     */
    public String summary() {
        String where = switch (phase) {
            case BULK -> "bulk";
            case DIRTY -> "dirty pass " + (dirtyPasses + 1);
            case COMPLETE -> "complete";
        };
        return drive + ": " + where + ", " + transferredBytes / MIB + "/" + totalBytes / MIB + " MiB sent, " + resentBytes / MIB + " MiB re-sent, "
                + remainingBytes / MIB + " MiB remaining, " + zeroChunks + " zero chunks, "
                + bytesPerSecond / MIB + " MiB/s, dirtied " + dirtyBytesPerSecond / MIB + " MiB/s, " + convergence();
    }
}
