package dev.ferry.monitor.vm;

import dev.ferry.blockmig.BackingIdentity;
import dev.ferry.blockmig.DiskCopyRehearsal;
import dev.ferry.blockmig.DiskSpec;
import dev.ferry.savevm.FrameChecksumWarmUp;
import dev.ferry.savevm.WireRecords;
import dev.ferry.vm.StateRehearsal;
import dev.ferry.vm.block.BlockDevice;
import dev.ferry.vm.block.BlockImages;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a destination does while it waits for its source, so that it answers the source's
 * configuration sooner: it links libc's file calls (in a fresh JVM the first image opened builds
 * their stubs, ~40 ms of CPU), builds the configuration's record codec (~25 ms, {@link WireRecords}),
 * and reads, or computes, the identity of each backing file that an incremental copy will check
 * ({@code --disk PATH,backing=BASE} with no image at PATH yet: the copy creates the overlay over
 * BASE). Identities stay in {@link BackingIdentity#of}'s cache, keyed by the file's version, so the
 * check after the configuration takes them only if BASE is unchanged. The checks wait for that
 * much; the codec of the disks' setup record, read only after the answer, is built next, and then,
 * if a disk is coming, a disk's copy is rehearsed ({@link DiskCopyRehearsal}, which gives way to
 * the real one). For a KVM
 * machine it also rehearses loading the vCPU and VM state ({@link StateRehearsal}) on a thread of
 * its own that nothing waits for: that load would otherwise run cold inside the guest's downtime.
 * Nothing here decides anything: a failure is left for the migration's own checks to report.
 */
final class IncomingPreparation {

    private static final Logger LOG = LoggerFactory.getLogger(IncomingPreparation.class);

    /** The backing identities, once what the checks need is ready; the disks' setup record comes after. */
    private final CompletableFuture<List<BackingIdentity>> ready = new CompletableFuture<>();

    private IncomingPreparation(List<DriveSpec> drives, boolean kvm) {
        Thread.ofPlatform().name("incoming-preparation").daemon().start(() -> prepare(drives));
        if (kvm) {
            // Not awaited: the checks need none of it, and in a nested VM it takes tens of seconds.
            Thread.ofPlatform().name("state-rehearsal").daemon().priority(Thread.MIN_PRIORITY).start(StateRehearsal::run);
        }
    }

    /** Starts preparing for {@code drives}, and with {@code kvm} for a KVM machine's state, in the background. */
    static IncomingPreparation start(List<DriveSpec> drives, boolean kvm) {
        return new IncomingPreparation(drives, kvm);
    }

    /**
     * Waits until what the configuration's checks need is prepared; returns the backing identities
     * it has ready for them.
     */
    List<BackingIdentity> await() {
        return ready.join();
    }

    private void prepare(List<DriveSpec> drives) {
        List<BackingIdentity> identities = new ArrayList<>();
        try {
            BlockImages.linkNativeCalls();
            WireRecords.prepare(VmConfig.class);
            for (DriveSpec drive : drives) {
                if (drive.backing().isEmpty() || Files.exists(drive.path())) {
                    continue;
                }
                try (BlockDevice base = BlockImages.open(drive.backing().get(), true)) {
                    identities.add(BackingIdentity.of(base));
                } catch (IOException | RuntimeException e) {
                    LOG.debug("drive {}: backing file {} not prepared ({})", drive.id(), drive.backing().get(), e.getMessage());
                }
            }
        } finally {
            ready.complete(List.copyOf(identities));
        }
        // Read only after the answer: a loaded machine that starts the migration early does not wait for it.
        WireRecords.prepare(DiskSpec.class);
        FrameChecksumWarmUp.run();
        if (!drives.isEmpty()) {
            DiskCopyRehearsal.run();
        }
    }
}
