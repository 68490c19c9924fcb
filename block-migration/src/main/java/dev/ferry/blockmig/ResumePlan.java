package dev.ferry.blockmig;

import java.util.List;
import java.util.UUID;

/**
 * The source's check of a resume: the destination's RESUME must answer this migration and these
 * drives. What to send again per drive is {@link DiskMigration#resume}'s.
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
}
