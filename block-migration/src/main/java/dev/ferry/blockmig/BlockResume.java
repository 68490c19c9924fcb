package dev.ferry.blockmig;

import dev.ferry.savevm.OutgoingResume;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Resuming a storage copy whose link broke: the two ends of the RESUME frame for the block
 * sections of one migration. The destination tells what its images hold ({@link #held}); the
 * source checks it belongs to this migration and these disks ({@link ResumePlan#check}) and marks
 * pending again what the destination lacks ({@link #outgoing}).
 */
public final class BlockResume {

    private BlockResume() {
    }

    /**
     * The destination's RESUME payload: the migration id and, per disk in order, the granules its
     * image holds.
     *
     * @param targets the destination's block sections, in the source's order
     * @return the payload
     * @throws BlockMigrationException if a disk's copy never began or the disks belong to different migrations
     */
    public static byte[] held(List<BlockTargetSection> targets) throws BlockMigrationException {
        if (targets.isEmpty()) {
            throw new BlockMigrationException("no disk is being copied: nothing to resume");
        }
        UUID migrationId = targets.getFirst().migrationId();
        List<DriveGranules> drives = new ArrayList<>(targets.size());
        for (BlockTargetSection target : targets) {
            if (!target.migrationId().equals(migrationId)) {
                throw new BlockMigrationException("drive " + target.drive() + " belongs to migration " + target.migrationId()
                        + ", drive " + targets.getFirst().drive() + " to " + migrationId);
            }
            drives.add(target.held());
        }
        return new ResumeRequest(migrationId, drives).encode();
    }

    /**
     * The source's check of a RESUME payload: refuses (one line) another migration's destination
     * or other disks, else marks pending what the destination lacks on each disk.
     *
     * @param sources the source's block sections of one migration, in stream order
     * @return the resumer to give the migration driver
     */
    public static OutgoingResume outgoing(List<BlockSourceSection> sources) {
        List<BlockSourceSection> disks = List.copyOf(sources);
        return payload -> {
            ResumeRequest request = ResumeRequest.parse(payload);
            List<DiskSpec> specs = new ArrayList<>(disks.size());
            for (BlockSourceSection disk : disks) {
                specs.add(disk.spec());
            }
            ResumePlan.check(disks.getFirst().migrationId(), specs, request);
            for (int i = 0; i < disks.size(); i++) {
                disks.get(i).resume(request.drives().get(i));
            }
        };
    }
}
