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
                for (Path path : created) {
                    if (Files.deleteIfExists(path)) {
                        LOG.info("removed {}, which the failed migration had created", path);
                    }
                }
            }
        }
    }

    /** Receives the built-in guest into {@code machine} (created by Machine.incoming over existing disks). */
    void receiveGuest(Machine machine, List<String> driveIds, MigrationChannel channel) throws IOException {
        SectionRegistry registry = new SectionRegistry();
        GuestVm guest = new GuestVm(machine, driveIds);
        List<BlockTargetSection> targets = new ArrayList<>();
        try {
            IncomingMigration.receive(registry, VmConfig.class, source -> {
                requireMachine(source, "kvm");
                ConfigCheck.sameAs(machine.config()).check(source.kvm().orElseThrow(
                        () -> new MigrationException(Phase.CONFIG, "the source sent no KVM machine shape")));
                requireDrives(source);
                for (String drive : source.copied()) {
                    BlockTargetSection target = BlockTargetSection.into(drive, guest.disks().get(drive));
                    targets.add(target);
                    registry.register(target);
                }
                guest.registerSections(registry);
            }, channel);
        } finally {
            BlockTargetSection.closeAll(targets);
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
