package dev.ferry.blockmig;

import dev.ferry.savevm.FrameKind;
import dev.ferry.savevm.LiveSection;
import dev.ferry.savevm.Pausable;
import dev.ferry.savevm.SectionId;
import dev.ferry.savevm.SectionInput;
import dev.ferry.savevm.SectionOutput;
import dev.ferry.vm.block.BlockDevice;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.SequencedMap;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The source side of one disk in a migration stream: a {@link DiskMigration} behind savevm's
 * {@link LiveSection}. Setup starts tracking the guest's writes and sends the {@link DiskSpec};
 * iterations send chunks and zero markers; the driver's stall signal throttles the guest's writes;
 * complete sends the rest and the disk's digest, which the destination compares before it
 * acknowledges. The destination registers a {@link BlockTargetSection} for the same drive.
 */
public final class BlockSourceSection implements LiveSection {

    private static final Logger LOG = LoggerFactory.getLogger(BlockSourceSection.class);

    private final String drive;
    private final BlockDevice device;
    private final CopyOptions options;
    private final DiskProgress progress;
    private final UUID migrationId;
    private volatile DiskMigration migration;

    /**
     * The section sending {@code device} as {@code drive}; nothing is read until setup.
     *
     * @param drive the drive id the destination receives it under
     * @param device the source image, written to by its guest meanwhile
     * @param options copy mode, chunk size and granularity
     * @param progress told of this disk's progress on the migration thread
     */
    public BlockSourceSection(String drive, BlockDevice device, CopyOptions options, DiskProgress progress) {
        this(drive, device, options, progress, UUID.randomUUID());
    }

    private BlockSourceSection(String drive, BlockDevice device, CopyOptions options, DiskProgress progress, UUID migrationId) {
        this.migrationId = migrationId;
        this.drive = drive;
        this.device = device;
        this.options = options;
        this.progress = progress;
    }

    /**
     * The sections of the drives {@code selection} picks out of {@code attached} (id → device, in
     * the VM's order), read-only drives left out: register them all in the source's registry.
     *
     * @param attached every drive of the VM, id → device, in the VM's order
     * @param selection which drives to copy
     * @param options copy mode, chunk size and granularity
     * @param progress told of each disk's progress
     * @return one section per selected writable drive, in the VM's order
     */
    public static List<BlockSourceSection> forDrives(SequencedMap<String, BlockDevice> attached, DriveSelection selection,
                                                     CopyOptions options, DiskProgress progress) {
        List<BlockSourceSection> sections = new ArrayList<>();
        UUID migrationId = UUID.randomUUID(); // one per migration: a resume checks it
        selection.select(attached).forEach((id, device) ->
                sections.add(new BlockSourceSection(id, device, options, progress, migrationId)));
        return List.copyOf(sections);
    }

    /**
     * Wraps the VM's (or the writers') {@link Pausable} for the driver: pausing first lets the
     * disks' throttled writers go, so the pause never waits out a throttle delay.
     *
     * @param vm what the driver pauses at the switch
     * @param disks the sections whose throttles the pause releases
     * @return a Pausable that releases the throttles, then pauses {@code vm}
     */
    public static Pausable releasingThrottles(Pausable vm, List<BlockSourceSection> disks) {
        return new Pausable() {
            @Override
            public void pause() {
                disks.forEach(BlockSourceSection::stopThrottling);
                vm.pause();
            }

            @Override
            public void resume() {
                vm.resume();
            }
        };
    }

    /** Lets this disk's throttled writers go for the rest of the copy. */
    public void stopThrottling() {
        DiskMigration running = migration;
        if (running != null) {
            running.stopThrottling();
        }
    }

    /**
     * The drive id this section sends.
     *
     * @return the drive id
     */
    public String drive() {
        return drive;
    }

    @Override
    public SectionId id() {
        return new SectionId(BlockWire.idstr(drive), 0, BlockWire.VERSION);
    }

    /**
     * This disk's progress, safe to call from any thread.
     *
     * @return the latest progress
     */
    public DiskStats stats() {
        DiskMigration running = migration;
        return running == null ? DiskStats.waiting(drive) : running.stats();
    }

    @Override
    public void setup(SectionOutput out) throws IOException {
        migration = DiskMigration.start(drive, device, options, migrationId);
        out.writeRecord(migration.spec());
        progress.progress(migration.stats());
    }

    /** The migration these disks belong to. */
    UUID migrationId() {
        return migrationId;
    }

    /** This disk's spec; fails before setup. */
    DiskSpec spec() throws BlockMigrationException {
        DiskMigration running = migration;
        if (running == null) {
            throw new BlockMigrationException("drive " + drive + ": the link broke before this disk's copy began; nothing to resume");
        }
        return running.spec();
    }

    /** Marks what the destination lacks pending again (see {@link DiskMigration#resume}). */
    void resume(DriveGranules held) {
        migration.resume(held);
    }

    @Override
    public long pendingBytes() {
        DiskMigration running = migration;
        return running == null ? 0 : running.pendingBytes();
    }

    @Override
    public void iterate(SectionOutput out, long budgetBytes) throws IOException {
        migration.iterate(BlockWire.sink(out), budgetBytes);
        progress.progress(migration.stats());
    }

    @Override
    public void notConverging(int level) {
        DiskMigration running = migration;
        if (running != null) {
            running.notConverging(level);
        }
    }

    @Override
    public void copyHeld() {
        DiskMigration running = migration;
        if (running != null) {
            running.copyHeld();
        }
    }

    @Override
    public void complete(SectionOutput out) throws IOException {
        long started = System.nanoTime();
        migration.complete(BlockWire.sink(out));
        long swept = System.nanoTime();
        String digest = migration.digest();
        long digested = System.nanoTime();
        BlockWire.writeDigest(out, digest);
        LOG.debug("drive {}: last sweep in {} µs, digest in {} µs, written in {} µs", drive, (swept - started) / 1000,
                (digested - swept) / 1000, (System.nanoTime() - digested) / 1000);
        progress.progress(migration.stats());
    }

    /** Stops tracking the guest's writes and lets a throttled writer go; the device stays open. */
    @Override
    public void cleanup(boolean succeeded) {
        DiskMigration running = migration;
        if (running != null) {
            running.close();
        }
    }

    /** A source section never loads: the destination registers a {@link BlockTargetSection}. */
    @Override
    public void load(FrameKind kind, SectionInput in, int version) throws IOException {
        throw new BlockMigrationException("drive " + drive + ": a source block section cannot load a stream;"
                + " register a BlockTargetSection on the destination");
    }
}
