package dev.ferry.monitor.vm;

import dev.ferry.blockmig.BlockTargetSection;
import dev.ferry.blockmig.TargetImage;
import dev.ferry.savevm.ConfigCheck;
import dev.ferry.savevm.IncomingMigration;
import dev.ferry.savevm.MigrationChannel;
import dev.ferry.savevm.MigrationException;
import dev.ferry.savevm.Phase;
import dev.ferry.savevm.SectionRegistry;
import dev.ferry.vm.Machine;
import dev.ferry.vm.block.BlockDevice;
import dev.ferry.vm.block.BlockImages;
import dev.ferry.vm.block.ImageFormat;
import dev.ferry.vm.state.MachineConfig;
import dev.ferry.vm.workload.DiskWorkloadState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The destination's side of {@code ferry run --incoming}: learns from the source's
 * configuration which disks and workloads arrive, registers their sections, receives, and only
 * then hands over a VM ready to start. On any failure nothing runs, and images this migration
 * created are deleted again.
 */
final class IncomingMigrationPlan {

    private static final Logger LOG = LoggerFactory.getLogger(IncomingMigrationPlan.class);

    private final List<DriveSpec> drives;

    IncomingMigrationPlan(List<DriveSpec> drives) {
        this.drives = List.copyOf(drives);
    }

    /** Receives a VM without vCPU ({@code --machine none}): disks and workload states. */
    DiskOnlyVm receiveDiskOnly(MigrationChannel channel) throws IOException {
        SectionRegistry registry = new SectionRegistry();
        Map<String, BlockTargetSection> targets = new LinkedHashMap<>();
        Map<String, WorkloadSection> workloads = new LinkedHashMap<>();
        List<Path> created = drives.stream().map(DriveSpec::path).filter(p -> !Files.exists(p)).toList();
        boolean done = false;
        try {
            IncomingMigration.receive(registry, VmConfig.class, source -> {
                requireMachine(source, "none");
                requireDrives(source);
                for (String drive : source.copied()) {
                    DriveSpec spec = spec(drive);
                    BlockTargetSection target = BlockTargetSection.of(spec.backing()
                            .map(backing -> TargetImage.overlay(drive, spec.path(), backing))
                            .orElseGet(() -> TargetImage.of(drive, spec.path())));
                    targets.put(drive, target);
                    registry.register(target);
                }
                for (String drive : source.workloads()) {
                    WorkloadSection section = WorkloadSection.loading(drive);
                    workloads.put(drive, section);
                    registry.register(section);
                }
            }, channel);
            BlockTargetSection.closeAll(targets.values());
            SequencedMap<String, BlockDevice> disks = openAll();
            Map<String, DiskWorkloadState> states = new LinkedHashMap<>();
            workloads.forEach((drive, section) -> states.put(drive, section.received().orElseThrow()));
            done = true;
            return DiskOnlyVm.migrated(disks, states);
        } finally {
            if (!done) {
                BlockTargetSection.closeAll(targets.values());
                deleteCreated(created);
            }
        }
    }

    /** Builds the KVM machine once its disk images exist; {@link Machine#incoming} over the --disk options. */
    @FunctionalInterface
    interface MachineFactory {
        Machine create() throws IOException;
    }

    /**
     * Receives the built-in guest ({@code --machine kvm}). The machine is built only after the
     * source's configuration said which disks arrive and how large they are: missing images are
     * created first (as the {@code --machine none} path does), and on any failure they are deleted
     * again and the machine is closed unstarted.
     */
    GuestVm receiveGuest(MachineFactory factory, List<String> driveIds, MigrationChannel channel) throws IOException {
        SectionRegistry registry = new SectionRegistry();
        List<BlockTargetSection> targets = new ArrayList<>();
        List<Path> created = new ArrayList<>();
        GuestVm[] guest = new GuestVm[1];
        boolean done = false;
        try {
            IncomingMigration.receive(registry, VmConfig.class, source -> {
                requireMachine(source, "kvm");
                MachineConfig shape = source.kvm().orElseThrow(
                        () -> new MigrationException(Phase.CONFIG, "the source sent no KVM machine shape"));
                requireDrives(source);
                guest[0] = new GuestVm(createMachine(factory, source, shape, created), driveIds);
                ConfigCheck.sameAs(guest[0].kvmConfig().orElseThrow()).check(shape);
                for (String drive : source.copied()) {
                    BlockTargetSection target = BlockTargetSection.into(drive, guest[0].disks().get(drive));
                    targets.add(target);
                    registry.register(target);
                }
                guest[0].registerSections(registry);
            }, channel);
            done = true;
            return guest[0];
        } finally {
            BlockTargetSection.closeAll(targets);
            if (!done) {
                if (guest[0] != null) {
                    guest[0].close();
                }
                deleteCreated(created);
            }
        }
    }

    /** Creates the copied drives' missing images with the source's sizes, then the machine over them. */
    private Machine createMachine(MachineFactory factory, VmConfig source, MachineConfig shape, List<Path> created)
            throws MigrationException {
        try {
            for (int i = 0; i < drives.size(); i++) {
                DriveSpec spec = drives.get(i);
                if (source.copied().contains(spec.id()) && Files.notExists(spec.path())) {
                    createImage(spec, shape.disks().get(i).size());
                    created.add(spec.path());
                }
            }
            return factory.create();
        } catch (IOException e) {
            throw new MigrationException(Phase.CONFIG, "cannot open the destination's disks: " + e.getMessage(), e);
        }
    }

    /** An overlay of --disk's backing=, else an image of --disk's format (raw when not given). */
    private static void createImage(DriveSpec spec, long size) throws IOException {
        if (spec.backing().isPresent()) {
            BlockImages.createQcow2Overlay(spec.path(), spec.backing().get());
        } else if (spec.format().orElse(ImageFormat.RAW) == ImageFormat.QCOW2) {
            BlockImages.createQcow2(spec.path(), size, BlockImages.DEFAULT_CLUSTER_SIZE);
        } else {
            BlockImages.createRaw(spec.path(), size);
        }
    }

    private static void deleteCreated(List<Path> created) throws IOException {
        for (Path path : created) {
            if (Files.deleteIfExists(path)) {
                LOG.info("removed {}, which the failed migration had created", path);
            }
        }
    }

    private static void requireMachine(VmConfig source, String machine) throws MigrationException {
        if (!source.machine().equals(machine)) {
            throw new MigrationException(Phase.CONFIG, "the source runs --machine " + source.machine()
                    + ", this destination --machine " + machine);
        }
    }

    private void requireDrives(VmConfig source) throws MigrationException {
        List<String> local = drives.stream().map(DriveSpec::id).toList();
        if (!source.drives().equals(local)) {
            throw new MigrationException(Phase.CONFIG, "the source has drives " + source.drives()
                    + ", this destination " + local + " (give the destination the same --disk ids, in order)");
        }
    }

    private DriveSpec spec(String drive) {
        return drives.stream().filter(d -> d.id().equals(drive)).findFirst().orElseThrow();
    }

    private SequencedMap<String, BlockDevice> openAll() throws IOException {
        return Drives.openAll(drives);
    }
}
