package dev.ferry.blockmig;

/**
 * One disk's progress, as {@code info migrate} shows it.
 *
 * @param drive             drive id
 * @param phase             where the copy is
 * @param totalBytes        bytes the bulk pass covers (the whole disk, or the top layer's allocation)
 * @param transferredBytes  bytes sent so far, data and zero markers
 * @param remainingBytes    the current pending estimate
 * @param zeroChunks        ranges sent as a zero marker instead of data
 * @param dirtyPasses       completed passes over the dirty bitmap
 * @param dirtyBytesPerSecond bytes of chunks the guest dirtied per second in the last pass
 * @param bytesPerSecond    send throughput of the last pass (of the bulk pass before any)
 * @param throttlePercent   how much the guest's writes are slowed, 0 when they are not
 */
public record DiskStats(String drive, DiskMigration.Phase phase, long totalBytes, long transferredBytes,
                        long remainingBytes, long zeroChunks, long dirtyPasses, long dirtyBytesPerSecond,
                        long bytesPerSecond, int throttlePercent) {

    /** How the copy keeps up with the guest: "free" or "throttled 40%". */
    public String convergence() {
        return throttlePercent == 0 ? "free" : "throttled " + throttlePercent + "%";
    }
}
