package dev.ferry.blockmig;

import static dev.ferry.blockmig.Images.MIB;
import static dev.ferry.blockmig.Images.assertSameContent;
import static dev.ferry.blockmig.Images.fillRandom;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.SequencedMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The library API: live disks copied over a loopback TCP socket by savevm's driver, no VM. */
class BlockCopyTest {

    private static final Duration LIMIT = Duration.ofSeconds(90);

    @TempDir
    Path dir;

    @Test
    void aRawDiskIsCopiedWhileAWriterHammersItAndTheCopyIsSparseAndIdentical() throws Exception {
        Path copyPath = dir.resolve("copy.raw");
        try (BlockDevice source = Images.raw(dir.resolve("source.raw"), 64 * MIB)) {
            fillRandom(source, 0, 24 * MIB, 1);
            List<DiskStats> reports = new CopyOnWriteArrayList<>();
            try (GuestWriter writer = new GuestWriter(source, 2, 8L * MIB)) {
                Outcome outcome = copy(drives("vda", source), DriveSelection.ALL, CopyOptions.of(CopyMode.FULL),
                        MigrationOptions.defaults(), writer, reports::add, List.of(TargetImage.of("vda", copyPath)));
                outcome.assertCompleted();
                assertTrue(writer.paused(), "the writer was paused at the switch");
                assertTrue(writer.writes() >= 5, "the writer wrote during the copy: " + writer.writes());
                DiskStats last = outcome.copy.disks().getFirst();
                assertEquals(DiskMigration.Phase.COMPLETE, last.phase());
                assertTrue(last.summary().startsWith("vda: complete, "), last.summary());
                assertTrue(reports.size() >= 3, "progress reported after setup, iterations and completion: " + reports);
                assertEquals(last, reports.getLast());
            }
            try (BlockDevice copy = BlockImages.open(copyPath, ImageFormat.RAW, true)) {
                assertSameContent(source, copy);
            }
            assertTrue(BlockImages.info(copyPath).allocatedBytes() <= BlockImages.info(source.path()).allocatedBytes(),
                    "the copy is no less sparse than the source");
            assertTrue(BlockImages.info(copyPath).allocatedBytes() < 48L * MIB, "the untouched tail stays a hole");
        }
    }

    @Test
    void aQcow2DiskIsCopiedIntoANewQcow2ThatQemuImgFindsIdentical() throws Exception {
        QemuImg.assumeInstalled();
        Path sourcePath = dir.resolve("source.qcow2");
        Path copyPath = dir.resolve("copy.qcow2");
        try (BlockDevice source = Images.qcow2(sourcePath, 48 * MIB)) {
            fillRandom(source, 8 * MIB, 16 * MIB, 3);
            try (GuestWriter writer = new GuestWriter(source, 4, 8L * MIB)) {
                copy(drives("vda", source), DriveSelection.ALL, CopyOptions.of(CopyMode.FULL).withChunkSize(256 * 1024),
                        MigrationOptions.defaults(), writer, DiskProgress.NONE, List.of(TargetImage.of("vda", copyPath)))
                        .assertCompleted();
            }
            source.flush();
            assertEquals(ImageFormat.QCOW2, BlockImages.info(copyPath).format());
            QemuImg.assertIdentical(sourcePath, copyPath);
        }
    }

    @Test
    void anIncrementalCopyBuildsAnOverlayOverTheDestinationsBackingFile() throws Exception {
        QemuImg.assumeInstalled();
        Images.Bases bases = Images.Bases.random(dir, 32 * MIB, 5);
        Path topPath = dir.resolve("top.qcow2");
        Path copyPath = dir.resolve("top-copy.qcow2");
        try (BlockDevice source = Images.overlay(topPath, bases.source())) {
            fillRandom(source, 2 * MIB, 3 * MIB, 6);
            try (GuestWriter writer = new GuestWriter(source, 7, 4L * MIB)) {
                copy(drives("vdb", source), DriveSelection.ALL, CopyOptions.of(CopyMode.INCREMENTAL),
                        MigrationOptions.defaults(), writer, DiskProgress.NONE,
                        List.of(TargetImage.overlay("vdb", copyPath, bases.destination()))).assertCompleted();
            }
            source.flush();
            try (BlockDevice copy = BlockImages.open(copyPath, ImageFormat.QCOW2, true)) {
                assertEquals(bases.destination().toRealPath(), copy.backing().orElseThrow().path().toRealPath());
                assertEquals(Images.topLayer(source), Images.topLayer(copy), "the same top layer, not a flattened copy");
                assertSameContent(source, copy);
            }
            QemuImg.assertIdentical(topPath, copyPath);
        }
    }

    /**
     * 4 KiB writes into unallocated 64 KiB clusters: the qcow2 layer copies the rest of each
     * cluster from the backing file, and the copy sends only the written granules (the destination's
     * identical backing file supplies the rest), not the clusters.
     */
    @Test
    void scatteredPageWritesIntoAnOverlaySendThePagesNotTheirClusters() throws Exception {
        QemuImg.assumeInstalled();
        Images.Bases bases = Images.Bases.random(dir, 32 * MIB, 11);
        Path topPath = dir.resolve("top.qcow2");
        Path copyPath = dir.resolve("top-copy.qcow2");
        int pages = 64;
        try (BlockDevice source = Images.overlay(topPath, bases.source())) {
            for (int i = 0; i < pages; i++) {
                fillRandom(source, i * 512L * 1024 + 8192, 4096, 100 + i);
            }
            source.flush();
            Outcome outcome = copy(drives("vdb", source), DriveSelection.ALL, CopyOptions.of(CopyMode.INCREMENTAL),
                    MigrationOptions.defaults(), BlockCopy.QUIESCED, DiskProgress.NONE,
                    List.of(TargetImage.overlay("vdb", copyPath, bases.destination())));
            outcome.assertCompleted();
            long sent = outcome.copy.disks().getFirst().transferredBytes();
            assertEquals(pages * (4096 + BlockWire.DATA_HEADER_BYTES), sent, pages + " pages written, " + sent
                    + " bytes sent (whole clusters: " + pages * (65536 + BlockWire.DATA_HEADER_BYTES) + ")");
            try (BlockDevice copy = BlockImages.open(copyPath, ImageFormat.QCOW2, true)) {
                assertEquals(Images.topLayer(source), Images.topLayer(copy), "the same clusters allocated");
                assertSameContent(source, copy);
            }
            QemuImg.assertIdentical(topPath, copyPath);
            QemuImg.assertClean(copyPath);
        }
    }

    @Test
    void aDestinationWhoseBackingFileDiffersRefusesAndTheSourceRunsOn() throws Exception {
        Path base = Images.randomRaw(dir.resolve("base.raw"), 8 * MIB, 8);
        Path otherBase = Images.randomRaw(dir.resolve("other-base.raw"), 8 * MIB, 9);
        Path copyPath = dir.resolve("top-copy.qcow2");
        try (BlockDevice source = Images.overlay(dir.resolve("top.qcow2"), base);
             GuestWriter writer = new GuestWriter(source, 10, 2L * MIB)) {
            Outcome outcome = copy(drives("vdb", source), DriveSelection.ALL, CopyOptions.of(CopyMode.INCREMENTAL),
                    MigrationOptions.defaults(), writer, DiskProgress.NONE,
                    List.of(TargetImage.overlay("vdb", copyPath, otherBase)));
            assertInstanceOf(MigrationState.Failed.class, outcome.state, outcome.state.toString());
            Throwable refused = outcome.receiveFailure();
            assertTrue(refused.getMessage().contains("drive vdb: backing file " + otherBase
                    + " differs from the source's in bytes "), refused.getMessage());
            assertFalse(Files.exists(copyPath), "no overlay is left behind");
            assertFalse(writer.paused(), "the source keeps running");
        }
    }

    @Test
    void aWriterFasterThanTheBandwidthLimitIsThrottledUntilTheCopyConverges() throws Exception {
        Path copyPath = dir.resolve("copy.raw");
        long bandwidth = 16L * MIB;
        MigrationOptions options = MigrationOptions.defaults().withMaxBandwidth(bandwidth)
                .withDowntimeLimit(Duration.ofMillis(100)).withStallWindow(Duration.ofMillis(250), 0);
        try (BlockDevice source = Images.raw(dir.resolve("source.raw"), 8 * MIB)) {
            fillRandom(source, 0, 8 * MIB, 11);
            try (GuestWriter writer = new GuestWriter(source, 12, Long.MAX_VALUE)) {
                Outcome outcome = copy(drives("vda", source), DriveSelection.ALL,
                        CopyOptions.of(CopyMode.FULL).withChunkSize(64 * 1024), options, writer, DiskProgress.NONE,
                        List.of(TargetImage.of("vda", copyPath)));
                outcome.assertCompleted();
                DiskStats stats = outcome.copy.disks().getFirst();
                assertTrue(stats.throttlePercent() > 0, "converged only by throttling: " + stats);
                assertTrue(stats.summary().endsWith(", throttled " + stats.throttlePercent() + "%"), stats.summary());
                assertTrue(outcome.copy.driver().stats().throttleLevel() > 0);
                assertTrue(writer.writes() > 100, "the writer ran flat out: " + writer.writes());
            }
            try (BlockDevice copy = BlockImages.open(copyPath, ImageFormat.RAW, true)) {
                assertSameContent(source, copy);
            }
        }
    }

    /**
     * Random 4 KiB pages at 8 MiB/s all over the disk: with 1 MiB chunks tracked whole, each page
     * would re-send its chunk (256 times the bytes written) and only a heavy throttle could end the
     * copy. Tracked in pages, every write re-sends at most its own page.
     */
    @ParameterizedTest
    @EnumSource(ImageFormat.class)
    void randomPagesAt8MiBPerSecondConvergeWithoutHeavyThrottlingAndReSendOnlyWhatWasWritten(ImageFormat format)
            throws Exception {
        Path sourcePath = dir.resolve("source." + format.id());
        Path copyPath = dir.resolve("copy." + format.id());
        MigrationOptions options = MigrationOptions.defaults().withDowntimeLimit(Duration.ofMillis(100));
        try (BlockDevice source = format == ImageFormat.RAW ? Images.raw(sourcePath, 64 * MIB) : Images.qcow2(sourcePath, 64 * MIB)) {
            fillRandom(source, 0, 32 * MIB, 21);
            try (GuestWriter writer = GuestWriter.pages(source, 22, 8L * MIB)) {
                Outcome outcome = copy(drives("vda", source), DriveSelection.ALL, CopyOptions.of(CopyMode.FULL), options,
                        writer, DiskProgress.NONE, List.of(TargetImage.of("vda", copyPath)));
                outcome.assertCompleted();
                DiskStats stats = outcome.copy.disks().getFirst();
                long written = writer.writtenBytes();
                assertTrue(stats.resentBytes() > 0, "pages written behind the bulk pass were sent again: " + stats);
                assertTrue(stats.resentBytes() <= written, "re-sent " + stats.resentBytes() + " bytes for " + written
                        + " bytes written: " + stats);
                assertTrue(outcome.copy.driver().stats().throttleLevel() <= 2, "converged without heavy throttling: "
                        + outcome.copy.driver().stats() + " / " + stats);
            }
            source.flush();
            try (BlockDevice copy = BlockImages.open(copyPath, format, true)) {
                assertSameContent(source, copy);
            }
        }
    }

    @Test
    void onlySelectedWritableDrivesTravelAndTheDestinationChecksTheList() throws Exception {
        Images.raw(dir.resolve("cdrom.raw"), MIB).close();
        try (BlockDevice vda = Images.raw(dir.resolve("vda.raw"), 4 * MIB);
             BlockDevice vdb = Images.raw(dir.resolve("vdb.raw"), 4 * MIB);
             BlockDevice cdrom = BlockImages.open(dir.resolve("cdrom.raw"), ImageFormat.RAW, true)) {
            fillRandom(vda, 0, MIB, 13);
            fillRandom(vdb, MIB, MIB, 14);
            SequencedMap<String, BlockDevice> attached = new LinkedHashMap<>();
            attached.put("vda", vda);
            attached.put("cdrom", cdrom);
            attached.put("vdb", vdb);
            Path vdbCopy = dir.resolve("vdb-copy.raw");
            Outcome selected = copy(attached, DriveSelection.parse("cdrom,vdb"), CopyOptions.of(CopyMode.FULL),
                    MigrationOptions.defaults(), BlockCopy.QUIESCED, DiskProgress.NONE, List.of(TargetImage.of("vdb", vdbCopy)));
            selected.assertCompleted();
            assertEquals(List.of("vdb"), selected.copy.disks().stream().map(DiskStats::drive).toList());
            try (BlockDevice copy = BlockImages.open(vdbCopy, ImageFormat.RAW, true)) {
                assertSameContent(vdb, copy);
            }

            Outcome mismatched = copy(attached, DriveSelection.ALL, CopyOptions.of(CopyMode.FULL),
                    MigrationOptions.defaults(), BlockCopy.QUIESCED, DiskProgress.NONE,
                    List.of(TargetImage.of("vda", dir.resolve("vda-copy.raw"))));
            assertInstanceOf(MigrationState.Failed.class, mismatched.state);
            assertTrue(mismatched.receiveFailure().getMessage().contains(
                    "the source sends drives [vda, vdb], this destination expects [vda]"), mismatched.receiveFailure().getMessage());
            assertFalse(Files.exists(dir.resolve("vda-copy.raw")), "refused before any image was made");
        }
    }

    /** How one copy ended on both sides. */
    private record Outcome(BlockCopy copy, MigrationState state, CompletableFuture<IncomingStats> received) {

        void assertCompleted() throws Exception {
            assertInstanceOf(MigrationState.Completed.class, state, () -> state + " / " + copy.disks());
            assertTrue(received.get(10, TimeUnit.SECONDS).bytes() > 0);
        }

        Throwable receiveFailure() throws Exception {
            try {
                received.get(10, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                return e.getCause();
            }
            throw new AssertionError("the destination accepted the copy");
        }
    }

    /** Runs a receiver on a loopback socket and a sender into it; waits for the sender to end. */
    private static Outcome copy(SequencedMap<String, BlockDevice> drives, DriveSelection selection, CopyOptions options,
                                MigrationOptions migration, dev.ferry.savevm.Pausable writers, DiskProgress progress,
                                List<TargetImage> images) throws IOException, InterruptedException {
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            CompletableFuture<IncomingStats> received = new CompletableFuture<>();
            Thread.ofPlatform().name("receiver").start(() -> {
                try {
                    received.complete(BlockCopy.receive(images, MigrationChannel.duplex(server.accept())));
                } catch (IOException | RuntimeException e) {
                    received.completeExceptionally(e);
                }
            });
            SocketChannel channel = SocketChannel.open(server.getLocalAddress());
            BlockCopy copy = BlockCopy.send(drives, selection, options, migration, writers,
                    MigrationChannel.duplex(channel), progress);
            MigrationState state = copy.driver().await(LIMIT);
            if (!state.isFinal()) {
                copy.driver().cancel();
                throw new AssertionError("the copy did not end within " + LIMIT + ": " + copy.disks());
            }
            return new Outcome(copy, state, received);
        }
    }

    private static SequencedMap<String, BlockDevice> drives(String id, BlockDevice device) {
        SequencedMap<String, BlockDevice> drives = new LinkedHashMap<>();
        drives.put(id, device);
        return drives;
    }
}
