package dev.ferry.blockmig;

import dev.ferry.savevm.IncomingMigration;
import dev.ferry.savevm.IncomingStats;
import dev.ferry.savevm.MigrationChannel;
import dev.ferry.savevm.MigrationDriver;
import dev.ferry.savevm.MigrationException;
import dev.ferry.savevm.MigrationOptions;
import dev.ferry.savevm.OutgoingResume;
import dev.ferry.savevm.Pausable;
import dev.ferry.savevm.Phase;
import dev.ferry.savevm.SectionRegistry;
import dev.ferry.vm.block.BlockDevice;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.SequencedMap;

/**
 * Copies live block devices to another place over any byte channel, without a VM: savevm's
 * migration driver runs with just the disks' sections, so the stream is the one a VM migration
 * uses. The source keeps writing while the copy runs; at the switch the driver pauses the
 * caller's {@link Pausable} (which stops the writers), sends the rest and the digests, and the
 * destination verifies every disk before it acknowledges.
 *
 * <pre>{@code
 * BlockCopy copy = BlockCopy.send(Map.of("vda", device), DriveSelection.ALL, CopyOptions.of(CopyMode.FULL),
 *         MigrationOptions.defaults(), writers, MigrationChannel.duplex(socket), stats -> log(stats.summary()));
 * copy.driver().await(Duration.ofMinutes(5));
 * // elsewhere:
 * BlockCopy.receive(List.of(TargetImage.of("vda", Path.of("copy.img"))), MigrationChannel.duplex(socket));
 * }</pre>
 */
public final class BlockCopy {

    /** For disks nobody writes to during the copy: pausing and resuming do nothing. */
    public static final Pausable QUIESCED = Pausable.NOTHING_TO_PAUSE;

    private final MigrationDriver driver;
    private final List<BlockSourceSection> disks;

    private BlockCopy(MigrationDriver driver, List<BlockSourceSection> disks) {
        this.driver = driver;
        this.disks = disks;
    }

    /**
     * Starts copying the drives {@code selection} picks out of {@code drives} (read-only ones are
     * left out) over {@code channel}; returns at once.
     *
     * @param drives every drive, id → device, in the order they are sent
     * @param selection which drives to copy
     * @param options copy mode, chunk size and granularity
     * @param migration bandwidth, downtime and convergence limits
     * @param writers paused at the switch, so that the last chunks and the digests are final;
     *                resumed if the copy fails
     * @param channel writable and open; closed at the end
     * @param progress told of each disk's progress, on the migration thread
     * @return the running copy
     * @throws IllegalArgumentException when the selection leaves no writable drive, or the channel
     *                                  is closed (a finished copy closes its channel)
     */
    public static BlockCopy send(SequencedMap<String, BlockDevice> drives, DriveSelection selection, CopyOptions options,
                                 MigrationOptions migration, Pausable writers, MigrationChannel channel,
                                 DiskProgress progress) {
        return send(drives, selection, options, migration, writers, channel, progress, false);
    }

    /**
     * Like {@link #send}, but a link that breaks during the copy (with a return path) pauses it,
     * {@link dev.ferry.savevm.MigrationState.PrecopyPaused}, instead of failing: the writers run on
     * and are tracked, and {@code driver().resume(link)} continues on a new link to a destination
     * waiting in {@link #receive(List, MigrationChannel, BlockResume.Reconnect)}, sending only what it lacks.
     *
     * @param drives every drive, id → device, in the order they are sent
     * @param selection which drives to copy
     * @param options copy mode, chunk size and granularity
     * @param migration bandwidth, downtime and convergence limits
     * @param writers paused at the switch, resumed if the copy fails
     * @param channel writable and open, with a return path
     * @param progress told of each disk's progress, on the migration thread
     * @return the running copy
     */
    public static BlockCopy sendResumable(SequencedMap<String, BlockDevice> drives, DriveSelection selection,
                                          CopyOptions options, MigrationOptions migration, Pausable writers,
                                          MigrationChannel channel, DiskProgress progress) {
        return send(drives, selection, options, migration, writers, channel, progress, true);
    }

    private static BlockCopy send(SequencedMap<String, BlockDevice> drives, DriveSelection selection, CopyOptions options,
                                  MigrationOptions migration, Pausable writers, MigrationChannel channel,
                                  DiskProgress progress, boolean resumable) {
        channel.requireOpen();
        List<BlockSourceSection> disks = BlockSourceSection.forDrives(drives, selection, options, progress);
        if (disks.isEmpty()) {
            throw new IllegalArgumentException("drive selection '" + selection + "' leaves no writable drive to copy");
        }
        SectionRegistry registry = new SectionRegistry();
        disks.forEach(registry::register);
        BlockCopyConfig config = new BlockCopyConfig(disks.stream().map(BlockSourceSection::drive).toList());
        Optional<OutgoingResume> resumer = resumable ? Optional.of(BlockResume.outgoing(disks)) : Optional.empty();
        return new BlockCopy(MigrationDriver.start(registry, BlockSourceSection.releasingThrottles(writers, disks),
                () -> config, channel, migration, resumer, state -> { }), disks);
    }

    /**
     * Receives a copy into {@code images}, one per drive the source sends, blocking until the
     * stream ended and every disk's digest matched; images are created if missing and closed at
     * the end.
     *
     * @param images one per drive the source sends
     * @param channel readable and open; closed at the end
     * @return what was received
     * @throws MigrationException naming the phase, drive and problem; the source then fails too
     */
    public static IncomingStats receive(List<TargetImage> images, MigrationChannel channel) throws IOException {
        return receive(images, channel, Optional.empty());
    }

    /**
     * Like {@link #receive(List, MigrationChannel)}, but a link that breaks during the copy keeps
     * the images as they are and waits for {@code reconnect}'s next link, where it tells the
     * resuming source what the images hold.
     *
     * @param images one per drive the source sends
     * @param channel readable and writable, open; closed at the end
     * @param reconnect gives the next link after a break
     * @return what was received, over every link
     * @throws MigrationException naming the phase, drive and problem
     */
    public static IncomingStats receive(List<TargetImage> images, MigrationChannel channel, BlockResume.Reconnect reconnect)
            throws IOException {
        return receive(images, channel, Optional.of(reconnect));
    }

    private static IncomingStats receive(List<TargetImage> images, MigrationChannel channel,
                                         Optional<BlockResume.Reconnect> reconnect)
            throws IOException {
        List<String> expected = images.stream().map(TargetImage::drive).toList();
        try (Targets targets = new Targets(images.stream().map(BlockTargetSection::of).toList())) {
            SectionRegistry registry = new SectionRegistry();
            targets.sections.forEach(registry::register);
            return IncomingMigration.receive(registry, BlockCopyConfig.class, source -> {
                if (!source.drives().equals(expected)) {
                    throw new MigrationException(Phase.CONFIG, "the source sends drives " + source.drives()
                            + ", this destination expects " + expected);
                }
            }, channel, reconnect.map(next -> BlockResume.incoming(() -> targets.sections, next)));
        }
    }

    /** Closes every target section, whatever happened. */
    private record Targets(List<BlockTargetSection> sections) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            BlockTargetSection.closeAll(sections);
        }
    }

    /**
     * The migration's handle: state, statistics, await, cancel, bandwidth and downtime limits.
     *
     * @return the driver, never null
     */
    public MigrationDriver driver() {
        return driver;
    }

    /**
     * Every copied disk's progress, in stream order.
     *
     * @return one entry per disk, a snapshot
     */
    public List<DiskStats> disks() {
        return disks.stream().map(BlockSourceSection::stats).toList();
    }
}
