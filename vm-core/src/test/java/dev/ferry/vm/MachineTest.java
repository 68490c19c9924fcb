package dev.ferry.vm;

import static dev.ferry.vm.TestMachines.awaitLine;
import static dev.ferry.vm.TestMachines.awaitStatus;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.savevm.MigrationChannel;
import dev.ferry.savevm.MigrationDriver;
import dev.ferry.savevm.MigrationOptions;
import dev.ferry.savevm.MigrationState;
import dev.ferry.savevm.MigrationStats;
import dev.ferry.vm.device.serial.MemoryUartSink;
import dev.ferry.vm.guest.GuestStatus;
import dev.ferry.vm.state.MachineSnapshot;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
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
            source.start();
            GuestStatus before = awaitStatus(source, s -> s.blocksWritten() >= 16 && s.pagesWritten() >= 64,
                    "disk and memory work");

            CompletableFuture<Void> incoming = CompletableFuture.runAsync(() -> {
                try (SocketChannel accepted = server.accept()) {
                    destination.receive(MigrationChannel.duplex(accepted));
                    destination.start();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            SocketChannel connection = SocketChannel.open(server.getLocalAddress());
            MigrationDriver driver = source.migrate(MigrationChannel.duplex(connection), MigrationOptions.defaults());
            MigrationState end = driver.await(Duration.ofMinutes(3));
            MigrationStats stats = driver.stats();
            incoming.get(30, TimeUnit.SECONDS);

            assertInstanceOf(MigrationState.Completed.class, end, () -> "migration ended " + end + ": " + stats);
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
}
