package dev.ferry.monitor.vm;

import dev.ferry.blockmig.BlockTargetSection;
import dev.ferry.savevm.ConfigCheck;
import dev.ferry.savevm.IncomingMigration;
import dev.ferry.savevm.MigrationChannel;
import dev.ferry.savevm.MigrationException;
import dev.ferry.savevm.Phase;
import dev.ferry.savevm.SectionRegistry;
import dev.ferry.vm.Machine;
import dev.ferry.vm.workload.DiskWorkloadState;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The destination's side of {@code ferry run --incoming}: learns from the source's
 * configuration which disks and workloads arrive, registers their sections, receives, and only
 * then hands over a VM ready to start. The drives are settled by {@link IncomingDrives} while the
 * configuration is checked, before the destination answers it. On any failure nothing runs, and
 * images this migration created are deleted again.
 */
final class IncomingMigrationPlan {

    private final List<DriveSpec> drives;

    IncomingMigrationPlan(List<DriveSpec> drives) {
        this.drives = List.copyOf(drives);
    }

    /** Receives a VM without vCPU ({@code --machine none}): disks and workload states. */
    DiskOnlyVm receiveDiskOnly(MigrationChannel channel) throws IOException {
        SectionRegistry registry = new SectionRegistry();
        Map<String, WorkloadSection> workloads = new LinkedHashMap<>();
        AtomicReference<IncomingDrives> prepared = new AtomicReference<>();
        try {
            IncomingMigration.receive(registry, VmConfig.class, source -> {
                requireMachine(source, "none");
                IncomingDrives disks = IncomingDrives.prepare(drives, source);
                prepared.set(disks);
                disks.targets().forEach(registry::register);
                for (String drive : source.workloads()) {
                    WorkloadSection section = WorkloadSection.loading(drive);
                    workloads.put(drive, section);
                    registry.register(section);
                }
            }, channel);
            Map<String, DiskWorkloadState> states = new LinkedHashMap<>();
            workloads.forEach((drive, section) -> states.put(drive, section.received().orElseThrow()));
            return DiskOnlyVm.migrated(prepared.get().handOver(), states);
        } finally {
            IncomingDrives disks = prepared.get();
            if (disks != null) {
                disks.close();
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
                IncomingDrives.requireSameDrives(drives, source);
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
}
