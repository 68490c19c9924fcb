package dev.ferry.monitor.vm;

import dev.ferry.blockmig.BackingIdentity;
import dev.ferry.blockmig.DiskSpec;
import dev.ferry.savevm.Joins;
import dev.ferry.savevm.WireRecords;
import dev.ferry.vm.StateRehearsal;
import dev.ferry.vm.block.BlockDevice;
import dev.ferry.vm.block.BlockImages;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a destination does while it waits for its source, so that it answers the source's
 * configuration sooner: it links libc's file calls (in a fresh JVM the first image opened builds
 * their stubs, ~40 ms of CPU), builds the record codec of the configuration (~25 ms) and of the
 * disks' setup record ({@link WireRecords}), and reads, or computes, the identity of each backing
 * file that an incremental copy will check
 * ({@code --disk PATH,backing=BASE} with no image at PATH yet: the copy creates the overlay over
 * BASE). Identities stay in {@link BackingIdentity#of}'s cache, keyed by the file's version, so the
 * check after the configuration takes them only if BASE is unchanged. For a KVM machine it also
 * rehearses loading the vCPU and VM state ({@link StateRehearsal}) on a thread of its own that
 * nothing waits for: that load would otherwise run cold inside the guest's downtime. Nothing here
 * decides anything: a failure is left for the migration's own checks to report.
 */
final class IncomingPreparation {

    private static final Logger LOG = LoggerFactory.getLogger(IncomingPreparation.class);

    /** Written by the preparing thread only, read after it was joined. */
    private final List<BackingIdentity> identities = new ArrayList<>();
    private final Thread preparing;

    private IncomingPreparation(List<DriveSpec> drives, boolean kvm) {
        this.preparing = Thread.ofPlatform().name("incoming-preparation").daemon().start(() -> prepare(drives));
        if (kvm) {
            // Not awaited: the checks need none of it, and in a nested VM it takes tens of seconds.
            Thread.ofPlatform().name("state-rehearsal").daemon().priority(Thread.MIN_PRIORITY).start(StateRehearsal::run);
        }
    }

    /** Starts preparing for {@code drives}, and with {@code kvm} for a KVM machine's state, in the background. */
    static IncomingPreparation start(List<DriveSpec> drives, boolean kvm) {
        return new IncomingPreparation(drives, kvm);
    }

    /** Waits for the preparation to end; returns the backing identities it has ready for the checks. */
    List<BackingIdentity> await() {
        Joins.uninterruptibly(preparing);
        return List.copyOf(identities);
    }

    private void prepare(List<DriveSpec> drives) {
        BlockImages.linkNativeCalls();
        WireRecords.prepare(VmConfig.class, DiskSpec.class);
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
    }
}
