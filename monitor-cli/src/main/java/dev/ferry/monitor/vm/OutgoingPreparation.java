package dev.ferry.monitor.vm;

import dev.ferry.blockmig.BackingIdentity;
import dev.ferry.blockmig.DiskCopyRehearsal;
import dev.ferry.blockmig.DiskSpec;
import dev.ferry.savevm.FrameChecksumWarmUp;
import dev.ferry.savevm.MigrationDriver;
import dev.ferry.savevm.SectionRegistry;
import dev.ferry.savevm.WireRecords;
import dev.ferry.vm.block.BlockDevice;
import java.io.IOException;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a running VM does once, in the background, so that a later {@code migrate} starts sooner:
 * it builds the record codec of the configuration and of the disks' setup record ({@link
 * WireRecords}), which the migration thread would otherwise build cold before the first data byte
 * (the destination does the same while it waits, see {@link IncomingPreparation}), reads the
 * identities kept beside the disks' backing files into memory ({@link BackingIdentity#known}), picks the frames'
 * checksum and gets it compiled where that is XXH3 ({@link FrameChecksumWarmUp}), rehearses the
 * state sections ({@link MigrationDriver#rehearse}: started by {@code migrate}, that rehearsal
 * shared the nested KVM's one CPU with the live copy for seconds), and last, if the VM has a disk
 * to copy, rehearses a disk's copy ({@link DiskCopyRehearsal}, which gives way to a real one). It runs at the
 * lowest priority and nothing waits for it: a migration that comes first builds what it needs
 * itself, and a failure here is the migration's to report.
 */
final class OutgoingPreparation {

    private static final Logger LOG = LoggerFactory.getLogger(OutgoingPreparation.class);

    private OutgoingPreparation() {
    }

    /** Starts preparing {@code body}'s migration on a daemon thread of its own. */
    static Thread start(VmBody body) {
        return Thread.ofPlatform().name("outgoing-preparation").daemon().priority(Thread.MIN_PRIORITY)
                .start(() -> prepare(body));
    }

    private static void prepare(VmBody body) {
        boolean disks = !body.disks().isEmpty();
        try {
            WireRecords.prepare(VmConfig.class, DiskSpec.class);
        } catch (RuntimeException e) {
            // Left for the migration: its own first encode meets the same type and reports it.
            LOG.debug("wire records not prepared ({})", e.getMessage());
        }
        knownBackingIdentities(body);
        FrameChecksumWarmUp.run();
        SectionRegistry sections = new SectionRegistry();
        body.registerSections(sections);
        try {
            MigrationDriver.rehearse(sections);
        } catch (RuntimeException e) {
            LOG.debug("state sections not rehearsed ({})", e.toString());
        }
        if (disks) {
            DiskCopyRehearsal.run();
        }
    }

    /**
     * Reads the identities kept beside the disks' backing files into memory, where an incremental
     * copy's configuration finds them (its first read of a sidecar, cold, took 15-30 ms on the
     * migration thread). Nothing is hashed: a backing file without a kept identity is hashed by the
     * migration that needs it.
     */
    private static void knownBackingIdentities(VmBody body) {
        for (var disk : body.disks().entrySet()) {
            Optional<BlockDevice> base = disk.getValue().backing();
            try {
                if (base.isPresent()) {
                    BackingIdentity.known(base.get());
                }
            } catch (IOException | RuntimeException e) {
                LOG.debug("drive {}: backing identity not read ahead ({})", disk.getKey(), e.toString());
            }
        }
    }
}
