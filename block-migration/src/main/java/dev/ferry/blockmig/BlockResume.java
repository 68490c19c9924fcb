package dev.ferry.blockmig;

import dev.ferry.savevm.IncomingResume;
import dev.ferry.savevm.MigrationChannel;
import dev.ferry.savevm.OutgoingResume;
import dev.ferry.vm.migration.RamSection;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * Resuming a storage copy whose link broke: the two ends of the RESUME frame for the block
 * sections of one migration. The destination tells what its images hold ({@link #held}); the
 * source checks it belongs to this migration and these disks ({@link ResumePlan#check}) and marks
 * pending again what the destination lacks ({@link #outgoing}). When the stream also carries the
 * guest's RAM, the payload starts with the RAM's part and the source sends all of RAM again.
 */
public final class BlockResume {

    private BlockResume() {
    }

    /** Where a destination waiting after a broken link gets its next one. */
    @FunctionalInterface
    public interface Reconnect {
        /**
         * Blocks until a source connects again.
         *
         * @param reason one line: why the last link ended
         * @return the new link, readable and writable
         * @throws IOException to give up; the migration then fails
         */
        MigrationChannel next(String reason) throws IOException;
    }

    /**
     * The destination's resume for savevm's loader: what {@code targets} hold, the next link from {@code next}.
     *
     * @param targets the destination's block sections, known once the configuration was checked
     * @param next gives the next link after a break
     * @return the resume to give {@link dev.ferry.savevm.IncomingMigration#receive}
     */
    public static IncomingResume incoming(Supplier<List<BlockTargetSection>> targets, Reconnect next) {
        return new Incoming(Optional.empty(), targets, next);
    }

    /**
     * The destination's resume for a VM whose stream also carries RAM: the RESUME payload is the
     * RAM's part ({@link RamSection#resumeHeld}, its layout) followed by the disks'.
     *
     * @param ram the destination's RAM section, known once the configuration was checked
     * @param targets the destination's block sections, known once the configuration was checked
     * @param next gives the next link after a break
     * @return the resume to give {@link dev.ferry.savevm.IncomingMigration#receive}
     */
    public static IncomingResume incoming(Supplier<RamSection> ram, Supplier<List<BlockTargetSection>> targets, Reconnect next) {
        return new Incoming(Optional.of(ram), targets, next);
    }

    /** The destination's resume: possible only with a storage copy (its migration id is what a source is matched by). */
    private record Incoming(Optional<Supplier<RamSection>> ram, Supplier<List<BlockTargetSection>> targets, Reconnect next)
            implements IncomingResume {

        @Override
        public boolean possible() {
            return !targets.get().isEmpty();
        }

        @Override
        public byte[] held() throws IOException {
            byte[] disks = BlockResume.held(targets.get());
            if (ram.isEmpty()) {
                return disks;
            }
            byte[] memory = ram.get().get().resumeHeld();
            byte[] payload = Arrays.copyOf(memory, memory.length + disks.length);
            System.arraycopy(disks, 0, payload, memory.length, disks.length);
            return payload;
        }

        @Override
        public MigrationChannel reconnect(String reason) throws IOException {
            return next.next(reason);
        }
    }

    /**
     * The source's check of a RESUME payload from a VM with RAM: the RAM's part must name this
     * VM's layout, the disks' part passes {@link #outgoing(List)}'s checks; only then are the
     * disks planned and all of RAM marked to go again (which pages a lost frame carried, nothing tells).
     *
     * @param ram the source's RAM section
     * @param sources the source's block sections of one migration, in stream order
     * @return the resumer to give the migration driver
     */
    public static OutgoingResume outgoing(RamSection ram, List<BlockSourceSection> sources) {
        OutgoingResume disks = outgoing(sources);
        return payload -> {
            ram.checkResume(payload);
            disks.resumeFrom(payload);
            ram.resendAll();
        };
    }

    /**
     * The destination's RESUME payload: the migration id and, per disk in order, the granules its
     * image holds.
     *
     * @param targets the destination's block sections, in the source's order
     * @return the payload
     * @throws BlockMigrationException if a disk's copy never began or the disks belong to different migrations
     */
    static byte[] held(List<BlockTargetSection> targets) throws BlockMigrationException {
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
