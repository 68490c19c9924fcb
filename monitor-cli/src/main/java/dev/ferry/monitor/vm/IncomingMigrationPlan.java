package dev.ferry.monitor.vm;

import dev.ferry.blockmig.BlockResume;
import dev.ferry.savevm.IncomingMigration;
import dev.ferry.savevm.MigrationChannel;
import dev.ferry.savevm.MigrationException;
import dev.ferry.savevm.Phase;
import dev.ferry.savevm.SectionRegistry;
import dev.ferry.vm.Machine;
import dev.ferry.vm.block.BlockDevice;
import dev.ferry.vm.state.MachineConfig;
import dev.ferry.vm.workload.DiskWorkloadState;
import java.io.IOException;
import java.util.Optional;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The destination's side of {@code ferry run --incoming}: learns from the source's
 * configuration which disks and workloads arrive, registers their sections, receives, and only
 * then hands over a VM ready to start. The drives are settled by {@link IncomingDrives} while the
 * configuration is checked, before the destination answers it. On any failure nothing runs, and
 * images this migration created are deleted again. On success the VM goes to a {@link Starter}
 * right after this side's ACK, before anything else (the guest stays paused from the ACK until it
 * runs, a pause the source's downtime does not see), and what the copy used is let go once it
 * runs ({@link IncomingDrives#release}).
 */
final class IncomingMigrationPlan {

    private final List<DriveSpec> drives;

    /** Starts the VM that arrived; called right after this side's ACK, sent at {@code acknowledgedNanos} ({@link System#nanoTime()}). */
    @FunctionalInterface
    interface Starter {
        void start(VmBody vm, long acknowledgedNanos);
    }

    IncomingMigrationPlan(List<DriveSpec> drives) {
        this.drives = List.copyOf(drives);
    }

    /** Receives a VM without vCPU ({@code --machine none}): disks and workload states. */
    void receiveDiskOnly(MigrationChannel channel, Optional<BlockResume.Reconnect> resume, Starter starter) throws IOException {
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
            }, channel, resume.map(next -> BlockResume.incoming(() -> prepared.get().targets(), next)), () -> {
                long acknowledged = System.nanoTime();
                Map<String, DiskWorkloadState> states = new LinkedHashMap<>();
                workloads.forEach((drive, section) -> states.put(drive, section.received().orElseThrow()));
                starter.start(DiskOnlyVm.migrated(prepared.get().handOver(), states), acknowledged);
            });
            prepared.get().release();
        } finally {
            IncomingDrives disks = prepared.get();
            if (disks != null) {
                disks.close();
            }
        }
    }

    /**
     * Builds the KVM machine over the destination's drives, opened and checked in the CONFIG stage:
     * the Linux PC when the source's machine is one ({@code linux}).
     */
    @FunctionalInterface
    interface MachineFactory {
        Machine create(List<BlockDevice> disks, boolean linux) throws IOException;
    }

    /**
     * Receives a KVM guest ({@code --machine kvm}): the built-in guest, or a Linux kernel when the
     * source's machine is the Linux PC. The machine is built only after the
     * source's configuration was checked and {@link IncomingDrives} settled every drive (creating
     * missing images with the source's sizes), over those very devices; without drives the factory
     * may hand over one built ahead from the destination's command line ({@link PrebuiltMachine}),
     * which the source's configuration is judged against all the same. On any failure the
     * machine is closed unstarted and the images this migration created are deleted again. With
     * {@code resume}, a break during the live copy keeps images and RAM and waits for the source's resume.
     */
    void receiveGuest(MachineFactory factory, List<String> driveIds, MigrationChannel channel,
                      Optional<BlockResume.Reconnect> resume, Starter starter) throws IOException {
        SectionRegistry registry = new SectionRegistry();
        AtomicReference<IncomingDrives> prepared = new AtomicReference<>();
        AtomicReference<GuestVm> guest = new AtomicReference<>();
        AtomicBoolean started = new AtomicBoolean();
        try {
            IncomingMigration.receive(registry, VmConfig.class, source -> {
                requireMachine(source, "kvm");
                MachineConfig shape = source.kvm().orElseThrow(
                        () -> new MigrationException(Phase.CONFIG, "the source sent no KVM machine shape"));
                IncomingDrives disks = IncomingDrives.prepare(drives, source);
                prepared.set(disks);
                Machine machine = createMachine(factory, disks, shape.linux());
                guest.set(new GuestVm(machine, driveIds));
                machine.accept(shape);
                disks.targets().forEach(registry::register);
                guest.get().registerSections(registry);
            }, channel, resume.map(next -> BlockResume.incoming(() -> guest.get().ram(), () -> prepared.get().targets(), next)), () -> {
                long acknowledged = System.nanoTime();
                prepared.get().handOver();
                started.set(true); // the starter's now, even if its start fails
                starter.start(guest.get(), acknowledged);
            });
            prepared.get().release();
        } finally {
            if (!started.get() && guest.get() != null) {
                guest.get().close();
            }
            IncomingDrives disks = prepared.get();
            if (disks != null) {
                disks.close();
            }
        }
    }

    private static Machine createMachine(MachineFactory factory, IncomingDrives disks, boolean linux)
            throws MigrationException {
        try {
            return factory.create(List.copyOf(disks.devices().values()), linux);
        } catch (IOException e) {
            throw new MigrationException(Phase.CONFIG, "cannot build the destination's machine: " + e.getMessage(), e);
        }
    }

    private static void requireMachine(VmConfig source, String machine) throws MigrationException {
        if (!source.machine().equals(machine)) {
            throw new MigrationException(Phase.CONFIG, "the source runs --machine " + source.machine()
                    + ", this destination --machine " + machine);
        }
    }
}
