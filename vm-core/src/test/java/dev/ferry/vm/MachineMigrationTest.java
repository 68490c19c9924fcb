package dev.ferry.vm;

import static dev.ferry.vm.TestMachines.awaitStatus;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.savevm.MigrationChannel;
import dev.ferry.savevm.MigrationDriver;
import dev.ferry.savevm.MigrationOptions;
import dev.ferry.savevm.MigrationState;
import dev.ferry.savevm.MigrationStats;
import dev.ferry.vm.device.serial.MemoryUartSink;
import dev.ferry.vm.guest.GuestStatus;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A live migration of the running built-in guest between two machines in this JVM over loopback
 * TCP, with savevm's driver and destination: RAM (KVM dirty log ∪ DMA writes), vCPU and device
 * sections. Both machines use the same disk image (shared storage): copying disks is the block
 * migration's section.
 */
class MachineMigrationTest {

    @TempDir
    Path dir;

    @BeforeEach
    void needKvm() {
        KvmHost.assumeKvm();
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
