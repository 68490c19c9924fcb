package dev.ferry.blockmig;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.savevm.IncomingStats;
import dev.ferry.savevm.MigrationChannel;
import dev.ferry.savevm.MigrationOptions;
import dev.ferry.savevm.MigrationState;
import dev.ferry.vm.block.BlockDevice;
import dev.ferry.vm.block.BlockImages;
import dev.ferry.vm.block.ImageFormat;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A storage copy over real TCP whose link is cut mid-copy and resumed on a new one: the source
 * pauses (precopy-paused), the destination keeps its image and waits, and the resumed link
 * carries only what the destination lacks.
 */
class ResumeOverTcpTest {

    private static final long GIB = 1L << 30;
    private static final Duration LIMIT = Duration.ofSeconds(60);
    /** Each destination blocks on its own thread (the common pool may have one, on 2 cores). */
    private static final java.util.concurrent.Executor OWN_THREAD = task -> Thread.ofPlatform().daemon().start(task);

    @TempDir
    Path dir;

    /** 1 GiB of random bytes, cut when the link carried 30, 60, 90 % of it. */
    @ParameterizedTest
    @ValueSource(ints = {30, 60, 90})
    void resumedLinkCarriesOnlyTheRest(int percent) throws Exception {
        Path source = Images.randomRaw(dir.resolve("source.raw"), GIB, 17);
        Path copy = dir.resolve("copy.raw");
        try (ServerSocketChannel server = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
             LinkCutter cutter = new LinkCutter((InetSocketAddress) server.getLocalAddress());
             BlockDevice device = BlockImages.open(source, ImageFormat.RAW, false)) {
            CompletableFuture<IncomingStats> received = CompletableFuture.supplyAsync(() -> receive(server, copy, true), OWN_THREAD);
            BlockCopy sending = BlockCopy.sendResumable(drives(device), DriveSelection.ALL, CopyOptions.of(CopyMode.FULL),
                    MigrationOptions.defaults(), BlockCopy.QUIESCED, link(cutter), DiskProgress.NONE);
            cutter.awaitForwarded(GIB * percent / 100, LIMIT);
            cutter.cut();
            long firstLink = cutter.forwarded();
            awaitPaused(sending, "");

            sending.driver().resume(link(cutter));
            assertInstanceOf(MigrationState.Completed.class, sending.driver().await(LIMIT), () -> sending.driver().state().toString());
            IncomingStats stats = received.get(LIMIT.toSeconds(), TimeUnit.SECONDS);
            long secondLink = cutter.forwarded();
            double progress = (double) firstLink / GIB;
            System.out.printf(Locale.ROOT, "resume at %d %%: first link %d bytes (%.3f of the disk), resumed link %d bytes"
                    + " (%.3f), allowed %.3f; received %d bytes in %s%n", percent, firstLink, progress, secondLink,
                    (double) secondLink / GIB, 1 - progress + 0.10, stats.bytes(), stats.elapsed());
            assertTrue(secondLink <= (1 - progress + 0.10) * GIB, percent + " %: the resumed link carried " + secondLink + " bytes");
            try (BlockDevice copied = BlockImages.open(copy, ImageFormat.RAW, true)) {
                Images.assertSameContent(device, copied);
            }
        }
    }

    /**
     * A source resuming onto another migration's waiting destination is refused in one line on
     * both sides, nothing is written there, both stay paused, and each then resumes onto its own.
     */
    @Test
    void resumeOntoAnotherMigrationsDestinationIsRefused() throws Exception {
        long size = 64L << 20;
        try (Pair a = new Pair(dir.resolve("a"), size); Pair b = new Pair(dir.resolve("b"), size)) {
            a.cutHalfway();
            b.cutHalfway();
            byte[] before = java.nio.file.Files.readAllBytes(b.copy);

            a.copy().driver().resume(link(b.cutter));
            MigrationState refused = awaitPaused(a.copy(), "resume refused");
            String reason = ((MigrationState.PrecopyPaused) refused).reason();
            assertTrue(reason.startsWith("resume refused: the destination was part of migration "), reason);
            assertTrue(!reason.contains("\n"), reason);
            assertTrue(java.util.Arrays.equals(before, java.nio.file.Files.readAllBytes(b.copy)), "the refused destination was written");
            assertTrue(!b.received.isDone(), "the refused destination stopped waiting");

            a.copy().driver().resume(link(a.cutter));
            b.copy().driver().resume(link(b.cutter));
            a.assertCompleted();
            b.assertCompleted();
        }
    }

    /** A destination that was not asked to wait fails on the break, and so does the source, as before resume existed. */
    @Test
    void destinationWithoutResumeFailsOnTheBreak() throws Exception {
        long size = 64L << 20;
        Images.randomRaw(dir.resolve("source.raw"), size, 5);
        try (ServerSocketChannel server = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
             LinkCutter cutter = new LinkCutter((InetSocketAddress) server.getLocalAddress());
             BlockDevice device = BlockImages.open(dir.resolve("source.raw"), ImageFormat.RAW, false)) {
            CompletableFuture<IncomingStats> received =
                    CompletableFuture.supplyAsync(() -> receive(server, dir.resolve("copy.raw"), false), OWN_THREAD);
            BlockCopy sending = BlockCopy.sendResumable(drives(device), DriveSelection.ALL, CopyOptions.of(CopyMode.FULL),
                    MigrationOptions.defaults().withMaxBandwidth(32L << 20), BlockCopy.QUIESCED, link(cutter), DiskProgress.NONE);
            cutter.awaitForwarded(size / 2, LIMIT);
            cutter.cut();
            java.util.concurrent.ExecutionException failed = org.junit.jupiter.api.Assertions.assertThrows(
                    java.util.concurrent.ExecutionException.class, () -> received.get(LIMIT.toSeconds(), TimeUnit.SECONDS));
            assertTrue(failed.getCause().getMessage().contains("stream ended before frame"), failed.getCause().getMessage());
            // It did not say it waits (its ACK to the configuration): the source fails too, as before resume existed.
            assertInstanceOf(MigrationState.Failed.class, sending.driver().await(LIMIT), () -> sending.driver().state().toString());
        }
    }

    /** A paused source cancels cleanly: Cancelled, its disk untouched and no longer tracked; a second resume is refused. */
    @Test
    void pausedSourceCancels() throws Exception {
        try (Pair a = new Pair(dir.resolve("a"), 64L << 20)) {
            a.cutHalfway();
            a.copy().driver().cancel();
            assertInstanceOf(MigrationState.Cancelled.class, a.copy().driver().await(LIMIT));
            assertEquals(0, a.device.observerCount(), "the cancelled copy still tracks the disk");
            try (MigrationChannel unused = link(a.cutter)) {
                IllegalStateException late = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                        () -> a.copy().driver().resume(unused));
                assertEquals("the migration is cancelled, not precopy-paused: nothing to resume", late.getMessage());
            }
        }
    }

    /** One source disk and its waiting destination behind a cutter, copying at 32 MiB/s. */
    private final class Pair implements AutoCloseable {
        final Path copy;
        final ServerSocketChannel server;
        final LinkCutter cutter;
        final BlockDevice device;
        final CompletableFuture<IncomingStats> received;
        final BlockCopy sending;
        final long size;

        Pair(Path where, long size) throws IOException {
            java.nio.file.Files.createDirectories(where);
            this.size = size;
            this.copy = where.resolve("copy.raw");
            this.server = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
            this.cutter = new LinkCutter((InetSocketAddress) server.getLocalAddress());
            this.device = BlockImages.open(Images.randomRaw(where.resolve("source.raw"), size, where.hashCode()), ImageFormat.RAW, false);
            this.received = CompletableFuture.supplyAsync(() -> receive(server, copy, true), OWN_THREAD);
            this.sending = BlockCopy.sendResumable(drives(device), DriveSelection.ALL, CopyOptions.of(CopyMode.FULL),
                    MigrationOptions.defaults().withMaxBandwidth(32L << 20), BlockCopy.QUIESCED, link(cutter), DiskProgress.NONE);
        }

        BlockCopy copy() {
            return sending;
        }

        void cutHalfway() throws Exception {
            cutter.awaitForwarded(size / 2, LIMIT);
            cutter.cut();
            awaitPaused(sending, "");
        }

        void assertCompleted() throws Exception {
            assertInstanceOf(MigrationState.Completed.class, sending.driver().await(LIMIT), () -> sending.driver().state().toString());
            received.get(LIMIT.toSeconds(), TimeUnit.SECONDS);
            try (BlockDevice copied = BlockImages.open(copy, ImageFormat.RAW, true)) {
                Images.assertSameContent(device, copied);
            }
        }

        @Override
        public void close() throws IOException {
            if (!sending.driver().state().isFinal()) {
                sending.driver().cancel();
            }
            device.close();
            cutter.close();
            server.close();
        }
    }

    private static IncomingStats receive(ServerSocketChannel server, Path copy, boolean resumable) {
        try {
            MigrationChannel first = MigrationChannel.duplex(server.accept());
            List<TargetImage> images = List.of(TargetImage.of("vda", copy));
            return resumable ? BlockCopy.receive(images, first, reason -> MigrationChannel.duplex(server.accept()))
                    : BlockCopy.receive(images, first);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static MigrationChannel link(LinkCutter cutter) throws IOException {
        return MigrationChannel.duplex(SocketChannel.open(cutter.address()));
    }

    private static LinkedHashMap<String, BlockDevice> drives(BlockDevice device) {
        LinkedHashMap<String, BlockDevice> drives = new LinkedHashMap<>();
        drives.put("vda", device);
        return drives;
    }

    /** Waits for precopy-paused with a reason that starts with {@code reason}. */
    private static MigrationState awaitPaused(BlockCopy copy, String reason) throws InterruptedException {
        long deadline = System.nanoTime() + LIMIT.toNanos();
        while (!(copy.driver().state() instanceof MigrationState.PrecopyPaused paused && paused.reason().startsWith(reason))) {
            assertTrue(System.nanoTime() < deadline && !copy.driver().state().isFinal(),
                    () -> "not precopy-paused: " + copy.driver().state());
            Thread.sleep(5);
        }
        assertEquals("precopy-paused", copy.driver().state().status());
        return copy.driver().state();
    }
}
