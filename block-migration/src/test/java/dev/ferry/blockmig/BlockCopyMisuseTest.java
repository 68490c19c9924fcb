package dev.ferry.blockmig;

import static dev.ferry.blockmig.Images.MIB;
import static dev.ferry.blockmig.Images.fillRandom;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ferry.savevm.IncomingStats;
import dev.ferry.savevm.MigrationChannel;
import dev.ferry.savevm.MigrationException;
import dev.ferry.savevm.MigrationOptions;
import dev.ferry.savevm.MigrationState;
import dev.ferry.vm.block.BlockDevice;
import dev.ferry.vm.block.BlockImages;
import dev.ferry.vm.block.ImageException;
import dev.ferry.vm.block.ImageFormat;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.SequencedMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * What a library user gets wrong, and the one-line error each mistake gets: closing twice, using
 * a closed disk or a finished copy, a channel closed underneath a running copy, and a destination
 * image that cannot be written.
 */
class BlockCopyMisuseTest {

    private static final Duration LIMIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(ImageFormat.class)
    void closingADiskTwiceIsHarmlessAndUsingItAfterwardsNamesTheImage(ImageFormat format) throws Exception {
        Path path = dir.resolve("disk." + format.id());
        BlockDevice disk = format == ImageFormat.RAW ? Images.raw(path, 4 * MIB) : Images.qcow2(path, 4 * MIB);
        fillRandom(disk, 0, MIB, 1);
        disk.close();
        assertDoesNotThrow(disk::close, "a second close does nothing");
        try (Arena arena = Arena.ofConfined()) {
            ImageException read = assertThrows(ImageException.class, () -> disk.read(0, arena.allocate(4096)));
            assertEquals(path + ": used after it was closed", read.getMessage());
            ImageException write = assertThrows(ImageException.class, () -> disk.write(0, arena.allocate(4096)));
            assertEquals(path + ": used after it was closed", write.getMessage());
        }
    }

    @Test
    void closingAMigrationChannelTwiceIsHarmless() throws Exception {
        try (ServerSocketChannel server = loopbackServer(); SocketChannel socket = SocketChannel.open(server.getLocalAddress())) {
            MigrationChannel channel = MigrationChannel.duplex(socket);
            channel.close();
            assertDoesNotThrow(channel::close);
            assertFalse(channel.isOpen());
        }
    }

    @Test
    void aClosedSourceDiskFailsTheCopyNamingTheImage() throws Exception {
        BlockDevice disk = Images.raw(dir.resolve("source.raw"), 4 * MIB);
        disk.close();
        Copy copy = Copy.start(drives(disk), BlockCopy.QUIESCED, MigrationOptions.defaults(),
                List.of(TargetImage.of("vda", dir.resolve("copy.raw"))));
        MigrationState.Failed failed = assertInstanceOf(MigrationState.Failed.class, copy.awaitEnd());
        assertTrue(failed.reason().endsWith("source.raw: used after it was closed"), failed.reason());
        assertInstanceOf(MigrationException.class, copy.receiveFailure(), "the destination did not accept it");
    }

    @Test
    void aFinishedCopyCannotBeSteeredAndItsChannelCannotCarryAnotherCopy() throws Exception {
        try (BlockDevice disk = Images.raw(dir.resolve("source.raw"), 4 * MIB)) {
            fillRandom(disk, 0, 2 * MIB, 2);
            Copy copy = Copy.start(drives(disk), BlockCopy.QUIESCED, MigrationOptions.defaults(),
                    List.of(TargetImage.of("vda", dir.resolve("copy.raw"))));
            assertInstanceOf(MigrationState.Completed.class, copy.awaitEnd());
            IllegalStateException steer = assertThrows(IllegalStateException.class,
                    () -> copy.copy.driver().setMaxBandwidth(MIB));
            assertEquals("the migration has ended (completed): nothing left to steer", steer.getMessage());
            assertThrows(IllegalStateException.class, () -> copy.copy.driver().setDowntimeLimit(Duration.ofSeconds(1)));
            assertDoesNotThrow(copy.copy.driver()::cancel, "cancel after the end does nothing, as documented");

            IllegalArgumentException reused = assertThrows(IllegalArgumentException.class, () -> BlockCopy.send(
                    drives(disk), DriveSelection.ALL, CopyOptions.of(CopyMode.FULL), MigrationOptions.defaults(),
                    BlockCopy.QUIESCED, copy.channel, DiskProgress.NONE));
            assertEquals("the migration channel is closed: a finished migration closes its channel; open a new one",
                    reused.getMessage());
            assertEquals(0, disk.observerCount(), "the refused copy left no write observer behind");
        }
    }

    @Test
    void aChannelClosedUnderneathARunningCopyFailsItInOneLineAndTheWriterRunsOn() throws Exception {
        try (BlockDevice disk = Images.raw(dir.resolve("source.raw"), 32 * MIB)) {
            fillRandom(disk, 0, 32 * MIB, 3);
            try (GuestWriter writer = new GuestWriter(disk, 4, 2L * MIB)) {
                Copy copy = Copy.start(drives(disk), writer, MigrationOptions.defaults().withMaxBandwidth(4L * MIB),
                        List.of(TargetImage.of("vda", dir.resolve("copy.raw"))));
                // Closed in the live copy (the destination has answered the configuration), which at
                // 4 MiB/s lasts seconds: a cold first run can still be waiting for that answer at 500 ms.
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (!(copy.copy.driver().state() instanceof MigrationState.Active) && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                assertInstanceOf(MigrationState.Active.class, copy.copy.driver().state(), "copying live");
                copy.channel.close();
                MigrationState.Failed failed = assertInstanceOf(MigrationState.Failed.class, copy.awaitEnd());
                assertEquals("the migration channel was closed underneath the migration", failed.reason());
                assertFalse(writer.paused(), "the writer runs on");
                assertEquals(0, disk.observerCount(), "the failed copy stopped tracking writes");
                Throwable received = copy.receiveFailure();
                assertInstanceOf(MigrationException.class, received);
                assertFalse(received.getMessage().contains("Exception"), received.getMessage());
            }
        }
    }

    @Test
    void aDestinationImageThatCannotBeWrittenIsRefusedBeforeAnyDataAndTheSourceSaysWhy() throws Exception {
        Path target = dir.resolve("copy.raw");
        BlockImages.createRaw(target, 4 * MIB);
        assumeTrue(immutable(target, true), "chattr +i is needed to make a file that even root cannot write");
        try (BlockDevice disk = Images.raw(dir.resolve("source.raw"), 4 * MIB)) {
            fillRandom(disk, 0, MIB, 5);
            Copy copy = Copy.start(drives(disk), BlockCopy.QUIESCED, MigrationOptions.defaults(),
                    List.of(TargetImage.of("vda", target)));
            MigrationState.Failed failed = assertInstanceOf(MigrationState.Failed.class, copy.awaitEnd());
            String expected = "drive vda: destination image " + target + " is not writable: ";
            assertTrue(copy.receiveFailure().getMessage().contains(expected), copy.receiveFailure().getMessage());
            assertTrue(failed.reason().contains(expected), failed.reason());
        } finally {
            immutable(target, false);
        }
    }

    @Test
    void aDestinationFolderThatDoesNotExistIsNamed() throws Exception {
        Path target = dir.resolve("no-such-folder").resolve("copy.raw");
        try (BlockDevice disk = Images.raw(dir.resolve("source.raw"), 4 * MIB)) {
            Copy copy = Copy.start(drives(disk), BlockCopy.QUIESCED, MigrationOptions.defaults(),
                    List.of(TargetImage.of("vda", target)));
            assertInstanceOf(MigrationState.Failed.class, copy.awaitEnd());
            assertTrue(copy.receiveFailure().getMessage().contains("drive vda: destination image " + target
                    + " cannot be created: cannot open: No such file or directory"), copy.receiveFailure().getMessage());
        }
    }

    /** Sets or clears the immutable attribute; false if the file system or the process cannot. */
    private static boolean immutable(Path file, boolean on) throws IOException, InterruptedException {
        Process chattr;
        try {
            chattr = new ProcessBuilder("chattr", on ? "+i" : "-i", file.toString()).redirectErrorStream(true).start();
        } catch (IOException e) {
            return false;
        }
        chattr.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
        return chattr.waitFor() == 0;
    }

    private static ServerSocketChannel loopbackServer() throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open();
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        return server;
    }

    private static SequencedMap<String, BlockDevice> drives(BlockDevice disk) {
        SequencedMap<String, BlockDevice> drives = new LinkedHashMap<>();
        drives.put("vda", disk);
        return drives;
    }

    /** A copy from a sender to a receiver thread over loopback TCP. */
    private record Copy(BlockCopy copy, MigrationChannel channel, CompletableFuture<IncomingStats> received) {

        static Copy start(SequencedMap<String, BlockDevice> drives, dev.ferry.savevm.Pausable writers,
                          MigrationOptions options, List<TargetImage> images) throws IOException {
            CompletableFuture<IncomingStats> received = new CompletableFuture<>();
            try (ServerSocketChannel server = loopbackServer()) {
                // Accepted before the server closes: a connection still in the backlog would be reset.
                MigrationChannel channel = MigrationChannel.duplex(SocketChannel.open(server.getLocalAddress()));
                MigrationChannel incoming = MigrationChannel.duplex(server.accept());
                Thread.ofPlatform().name("receiver").start(() -> {
                    try {
                        received.complete(BlockCopy.receive(images, incoming));
                    } catch (IOException | RuntimeException e) {
                        received.completeExceptionally(e);
                    }
                });
                return new Copy(BlockCopy.send(drives, DriveSelection.ALL, CopyOptions.of(CopyMode.FULL), options,
                        writers, channel, DiskProgress.NONE), channel, received);
            }
        }

        MigrationState awaitEnd() throws InterruptedException {
            MigrationState state = copy.driver().await(LIMIT);
            assertTrue(state.isFinal(), "the copy ended within " + LIMIT + ": " + state);
            return state;
        }

        /** The destination's failure, or null if it accepted the copy. */
        Throwable receiveFailure() throws Exception {
            try {
                received.get(10, TimeUnit.SECONDS);
                return null;
            } catch (ExecutionException e) {
                return e.getCause();
            }
        }
    }
}
