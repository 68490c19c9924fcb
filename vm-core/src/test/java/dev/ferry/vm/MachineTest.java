package dev.ferry.vm;

import static dev.ferry.vm.TestMachines.awaitLine;
import static dev.ferry.vm.TestMachines.awaitStatus;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.kvm.CpuidEntry;
import dev.ferry.kvm.KvmImplementation;
import dev.ferry.savevm.MigrationChannel;
import dev.ferry.savevm.MigrationException;
import dev.ferry.savevm.MigrationDriver;
import dev.ferry.savevm.MigrationOptions;
import dev.ferry.savevm.MigrationState;
import dev.ferry.savevm.MigrationStats;
import dev.ferry.vm.device.serial.MemoryUartSink;
import dev.ferry.vm.guest.GuestImage;
import dev.ferry.vm.guest.GuestStatus;
import dev.ferry.vm.state.CpuModel;
import dev.ferry.vm.state.MachineConfig;
import dev.ferry.vm.state.MachineSnapshot;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The built-in guest on this host's KVM: boot, lifecycle, save/restore into a fresh machine, and
 * a live migration between two machines in this JVM over loopback TCP with savevm's driver and
 * destination (RAM with KVM's dirty log and DMA writes, vCPU and device sections). Migrating
 * machines share their disk image: copying disks is the block migration's section.
 */
@Tag("kvm")
class MachineTest {

    @TempDir
    Path dir;

    @BeforeEach
    void needKvm() {
        KvmHost.assumeKvm();
    }

    @Test
    void guestBootsWritesAndVerifiesItsDiskAndReportsOverTheUart() throws Exception {
        Path disk = TestMachines.newDisk(dir, "disk.raw");
        MemoryUartSink console = new MemoryUartSink();
        try (Machine machine = Machine.boot(TestMachines.spec(disk), console)) {
            assertEquals(RunState.CREATED, machine.state());
            machine.start();
            awaitLine(console, l -> l.startsWith("ferry-guest: disk id=disk0"), "'disk id=disk0'");
            awaitLine(console, l -> l.startsWith("ferry-guest: ready"), "'ready'");
            GuestStatus status = awaitStatus(machine, s -> s.blocksWritten() >= 32 && s.blocksVerified() > 0
                    && s.pagesWritten() > 0, "disk and memory work");
            assertEquals(GuestStatus.State.RUNNING, status.state());

            TestMachines.verifyGuest(machine, console);
            TestMachines.stopGuest(machine);
        }
        assertTrue(TestMachines.verifiedBlocksInImage(disk) >= 32, "the guest's blocks are in the image file");
    }

    @Test
    void pauseStopsTheGuestAndResumeLetsItRunOn() throws Exception {
        Path disk = TestMachines.newDisk(dir, "disk.raw");
        List<String> transitions = new CopyOnWriteArrayList<>();
        try (Machine machine = Machine.boot(TestMachines.spec(disk), new MemoryUartSink())) {
            machine.addListener((m, from, to, why) -> transitions.add(from + "->" + to));
            machine.start();
            awaitStatus(machine, s -> s.iterations() > 0, "running its workload");

            machine.pause();
            assertEquals(RunState.PAUSED, machine.state());
            long frozen = machine.guestStatus().iterations();
            Thread.sleep(300);
            assertEquals(frozen, machine.guestStatus().iterations(), "a paused guest makes no progress");
            assertThrows(IllegalStateException.class, () -> machine.restore(machine.snapshot()));

            machine.resume();
            awaitStatus(machine, s -> s.iterations() > frozen, "running again after resume");
            assertThrows(IllegalStateException.class, machine::injectNmi, "an NMI only while paused");
            machine.shutdown();
            assertEquals(RunState.SHUTDOWN, machine.state());
            assertEquals("shut down by the VMM", machine.stateReason());
        }
        assertEquals(List.of("CREATED->RUNNING", "RUNNING->PAUSED", "PAUSED->RUNNING", "RUNNING->SHUTDOWN"), transitions);
    }

    @Test
    void snapshotAtAPauseRestoredIntoAFreshMachineCarriesOnAndVerifies() throws Exception {
        Path disk = TestMachines.newDisk(dir, "disk.raw");
        Path copy = dir.resolve("copy.raw");
        MemoryUartSink restoredConsole = new MemoryUartSink();
        MachineSpec spec = TestMachines.spec(disk);
        long iterationsAtPause;
        try (Machine source = Machine.boot(spec, new MemoryUartSink())) {
            source.start();
            awaitStatus(source, s -> s.blocksWritten() >= 16 && s.pagesWritten() >= 64, "disk and memory work");
            source.pause();
            MachineSnapshot snapshot = source.snapshot();
            iterationsAtPause = source.guestStatus().iterations();
            Files.copy(disk, copy);

            Machine restored = Machine.incoming(spec.withDisks(List.of(DiskSpec.of(copy))), restoredConsole);
            try (restored) {
                TestMachines.copyMemory(source, restored);
                source.shutdown();
                restored.restore(snapshot);
                assertEquals(iterationsAtPause, restored.guestStatus().iterations(), "memory copied as it was");
                TestMachines.assertSameState(snapshot, restored.snapshot());
                restored.start();
                awaitStatus(restored, s -> s.iterations() > iterationsAtPause + 10, "carrying on after the restore");
                TestMachines.verifyGuest(restored, restoredConsole);
                TestMachines.stopGuest(restored);
            }
        }
        assertFalse(restoredConsole.text().contains("ferry-guest: ring 3 up"), "the restored guest did not boot again");
        assertTrue(TestMachines.verifiedBlocksInImage(copy) >= 16);
    }

    @Test
    void runningGuestMigratesLiveAndVerifiesOnTheDestination() throws Exception {
        Path disk = TestMachines.newDisk(dir, "disk.raw");
        MachineSpec spec = TestMachines.spec(disk);
        MemoryUartSink destinationConsole = new MemoryUartSink();
        try (ServerSocketChannel server = ServerSocketChannel.open()
                        .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                Machine source = Machine.boot(spec, new MemoryUartSink());
                Machine destination = Machine.incoming(spec, destinationConsole)) {
            // The source's state at the switch: taken as the driver pauses it (the kvmclock runs on after).
            AtomicReference<MachineSnapshot> atPause = new AtomicReference<>();
            source.addListener((m, from, to, why) -> {
                if (to == RunState.PAUSED) {
                    atPause.set(m.snapshot());
                }
            });
            source.start();
            GuestStatus before = awaitStatus(source, s -> s.blocksWritten() >= 16 && s.pagesWritten() >= 64,
                    "disk and memory work");

            CompletableFuture<MachineSnapshot> incoming = CompletableFuture.supplyAsync(() -> {
                try (SocketChannel accepted = server.accept()) {
                    destination.receive(MigrationChannel.duplex(accepted));
                    MachineSnapshot arrived = destination.snapshot();
                    destination.start();
                    return arrived;
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            SocketChannel connection = SocketChannel.open(server.getLocalAddress());
            MigrationDriver driver = source.migrate(MigrationChannel.duplex(connection), MigrationOptions.defaults());
            MigrationState end = driver.await(Duration.ofMinutes(3));
            MigrationStats stats = driver.stats();
            MachineSnapshot arrived = incoming.get(60, TimeUnit.SECONDS);

            assertInstanceOf(MigrationState.Completed.class, end, () -> "migration ended " + end + ": " + stats);
            TestMachines.assertSameState(atPause.get(), arrived);
            assertEquals(RunState.PAUSED, source.state(), "the source stays paused after a completed migration");
            assertFalse(source.dirtyLogging(), "the source's dirty logging is off again");
            assertTrue(source.ram().stats().harvests() >= 1, "dirty pages were harvested: " + source.ram().stats());
            assertEquals(RunState.RUNNING, destination.state());

            awaitStatus(destination, s -> s.iterations() > before.iterations() && s.pagesWritten() > before.pagesWritten(),
                    "running on the destination");
            TestMachines.verifyGuest(destination, destinationConsole);
            TestMachines.stopGuest(destination);
        }
        assertTrue(TestMachines.verifiedBlocksInImage(disk) >= 16);
    }

    @Test
    void aSnapshotOfAnEndedMachineDoesNotReplayItsLastPortWrite() throws Exception {
        Path disk = TestMachines.newDisk(dir, "disk.raw");
        Path copy = dir.resolve("copy.raw");
        MachineSpec spec = TestMachines.spec(disk);
        try (Machine source = Machine.boot(spec, new MemoryUartSink())) {
            source.start();
            awaitStatus(source, s -> s.blocksWritten() >= 8, "disk work");
            TestMachines.stopGuest(source);
            MachineSnapshot ended = source.snapshot();
            Files.copy(disk, copy);
            try (Machine restored = Machine.incoming(spec.withDisks(List.of(DiskSpec.of(copy))), new MemoryUartSink())) {
                TestMachines.copyMemory(source, restored);
                restored.restore(ended);
                long before = restored.guestStatus().iterations();
                restored.start();
                // The guest's stop request was completed inside KVM before the vCPU thread left:
                // the restored guest carries on after it (stopped, polling) instead of asking again.
                awaitStatus(restored, s -> s.iterations() > before + 100, "looping after its stop request");
                assertEquals(RunState.RUNNING, restored.state(), restored.stateReason());
                assertEquals(GuestStatus.State.STOPPED, restored.guestStatus().state());
            }
        }
    }

    @Test
    void listenersRunOutsideTheLifecycleLock() throws Exception {
        Path disk = TestMachines.newDisk(dir, "disk.raw");
        List<String> seen = new CopyOnWriteArrayList<>();
        try (Machine machine = Machine.boot(TestMachines.spec(disk), new MemoryUartSink())) {
            // A listener that asks the machine from another thread and waits for the answer would
            // deadlock if it ran with the lifecycle lock held (here: on the vCPU thread ending it).
            machine.addListener((m, from, to, why) -> {
                CompletableFuture<String> asked = CompletableFuture.supplyAsync(() -> m.state() + " " + m.stateReason());
                seen.add(asked.orTimeout(10, TimeUnit.SECONDS).join());
            });
            machine.start();
            awaitStatus(machine, s -> s.iterations() > 0, "running its workload");
            TestMachines.stopGuest(machine);
        }
        assertEquals(List.of("RUNNING started", "SHUTDOWN the guest asked to stop"), seen);
    }

    @Test
    void theGuestPacesByKvmsTscRateAndTheConfigCarriesItsCpu() throws Exception {
        Path disk = TestMachines.newDisk(dir, "disk.raw");
        try (Machine machine = Machine.boot(TestMachines.spec(disk), new MemoryUartSink())) {
            CpuModel cpu = machine.config().cpu().orElseThrow();
            GuestImage image = GuestImage.builtIn();
            long configured = machine.memory().slice(image.configAddress() + 0x10, 8).get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
            assertEquals(cpu.tscKhz(), configured, "the guest's tsc_khz is KVM_GET_TSC_KHZ");
            assertFalse(cpu.msrs().isEmpty());
            assertFalse(cpu.cpuid().isEmpty());
        }
    }

    @Test
    void theDestinationRefusesAGuestCpuItCannotRestoreBeforeAnyState() throws Exception {
        Path disk = TestMachines.newDisk(dir, "disk.raw");
        try (Machine destination = Machine.incoming(TestMachines.spec(disk), new MemoryUartSink())) {
            MachineConfig own = destination.config();
            destination.accept(own);
            CpuModel cpu = own.cpu().orElseThrow();

            assertRefused(destination, withCpu(own, withOtherFirstLeaf(cpu)), "guest CPUID differs");

            List<Integer> moreMsrs = new ArrayList<>(cpu.msrs());
            moreMsrs.add(0x4b56_4d06);
            assertRefused(destination, withCpu(own, new CpuModel(cpu.cpuid(), moreMsrs, cpu.tscKhz())), "MSR 0x4b564d06");

            assertRefused(destination, new MachineConfig(own.memoryBytes() * 2, own.vcpus(), own.irqchip(), own.linux(),
                    own.disks(), own.cpu()), "memoryBytes");
            assertRefused(destination, new MachineConfig(own.memoryBytes(), own.vcpus(), own.irqchip(), true,
                    own.disks(), own.cpu()), "linux");
            assertRefused(destination, withCpu(own, null), "no guest CPU model");
        }
    }

    @Test
    void aRehearsedCheckChangesNothingAndStillRefusesAnotherCpuOrShape() throws Exception {
        Path disk = TestMachines.newDisk(dir, "disk.raw");
        try (Machine destination = Machine.incoming(TestMachines.spec(disk), new MemoryUartSink())) {
            MachineConfig own = destination.config();
            AcceptRehearsal.run(destination);
            assertEquals(own, destination.config());
            assertEquals(RunState.CREATED, destination.state());

            assertRefused(destination, withCpu(own, withOtherFirstLeaf(own.cpu().orElseThrow())), "guest CPUID differs");
            assertRefused(destination, new MachineConfig(own.memoryBytes() / 2, own.vcpus(), own.irqchip(), own.linux(),
                    own.disks(), own.cpu()), "memoryBytes");
        }
    }

    @Test
    void aLinuxMachineIsRefusedInOneLineExactlyWhereThisHostsKvmCannotBootLinux() throws Exception {
        MachineSpec spec = TestMachines.spec(TestMachines.newDisk(dir, "disk.raw")).withDisks(List.of());
        Optional<String> problem = KvmImplementation.host().linuxProblem();
        if (problem.isPresent()) {
            IllegalStateException refused = assertThrows(IllegalStateException.class,
                    () -> Machine.incoming(spec, new MemoryUartSink(), List.of(), true).close());
            assertEquals(problem.get(), refused.getMessage());
            assertFalse(refused.getMessage().contains("\n"), refused.getMessage());
        } else {
            try (Machine linux = Machine.incoming(spec, new MemoryUartSink(), List.of(), true)) {
                assertEquals(RunState.CREATED, linux.state(), "a " + KvmImplementation.host() + " host builds the Linux PC");
            }
        }
        try (Machine builtIn = Machine.incoming(spec, new MemoryUartSink(), List.of(), false)) {
            assertEquals(RunState.CREATED, builtIn.state(), "the built-in guest's machine is built on every KVM");
        }
    }

    /** {@code cpu} with its first CPUID leaf's EAX one higher. */
    private static CpuModel withOtherFirstLeaf(CpuModel cpu) {
        List<CpuidEntry> cpuid = new ArrayList<>(cpu.cpuid());
        CpuidEntry leaf = cpuid.getFirst();
        cpuid.set(0, new CpuidEntry(leaf.function(), leaf.index(), leaf.flags(), leaf.eax() + 1, leaf.ebx(), leaf.ecx(),
                leaf.edx()));
        return new CpuModel(cpuid, cpu.msrs(), cpu.tscKhz());
    }

    private static MachineConfig withCpu(MachineConfig config, CpuModel cpu) {
        return new MachineConfig(config.memoryBytes(), config.vcpus(), config.irqchip(), config.linux(), config.disks(),
                Optional.ofNullable(cpu));
    }

    private static void assertRefused(Machine destination, MachineConfig source, String because) {
        MigrationException refused = assertThrows(MigrationException.class, () -> destination.accept(source));
        assertTrue(refused.getMessage().contains(because), refused.getMessage());
        assertEquals(RunState.CREATED, destination.state());
    }
}
