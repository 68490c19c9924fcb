package dev.ferry.blockmig;

import java.util.List;
import java.util.UUID;

/**
 * The source's side of a resume: it checks that the destination's RESUME answers this migration
 * and these drives, and works out what to send again per drive: every granule the destination
 * does not hold, and every granule dirtied since it was sent (the dirty tracking ran on through
 * the break), whether the destination holds an older copy of it or not.
 */
final class ResumePlan {

    private ResumePlan() {
    }

    /**
     * Refuses, in one line, a RESUME for another migration or for other drives than {@code drives}
     * (id, size and granule size, in order).
     */
    static void check(UUID migrationId, List<DiskSpec> drives, ResumeRequest request) throws BlockMigrationException {
        if (!request.migrationId().equals(migrationId)) {
            throw new BlockMigrationException("resume refused: the destination was part of migration " + request.migrationId()
                    + ", this is migration " + migrationId);
        }
        if (request.drives().size() != drives.size()) {
            throw new BlockMigrationException("resume refused: the destination holds " + request.drives().size()
                    + " drives, this migration copies " + drives.size());
        }
        for (int i = 0; i < drives.size(); i++) {
            DiskSpec spec = drives.get(i);
            DriveGranules held = request.drives().get(i);
            if (!held.drive().equals(spec.drive()) || held.size() != spec.size() || held.granuleSize() != spec.hashGranularity()) {
                throw new BlockMigrationException("resume refused: the destination's " + held + " of " + held.size()
                        + " bytes is not drive " + spec.drive() + " of " + spec.size() + " bytes in granules of " + spec.hashGranularity());
            }
        }
    }

    /**
     * The granules to send: not held by the destination, or dirtied since sent.
     *
     * @param held             what the destination holds of the drive
     * @param dirtiedSinceSent the source's dirty granules, one bit each, same layout
     * @return the bitmap of granules to send
     */
    static long[] toSend(DriveGranules held, long[] dirtiedSinceSent) {
        long[] have = held.received();
        if (dirtiedSinceSent.length != have.length) {
            throw new IllegalArgumentException("dirty bitmap of " + dirtiedSinceSent.length + " words for " + have.length);
        }
        long[] send = new long[have.length];
        for (int i = 0; i < send.length; i++) {
            send[i] = ~have[i] | dirtiedSinceSent[i];
        }
        int tail = (int) (held.granules() & 63);
        if (tail != 0) {
            send[send.length - 1] &= (1L << tail) - 1;
        }
        return send;
    }
}
