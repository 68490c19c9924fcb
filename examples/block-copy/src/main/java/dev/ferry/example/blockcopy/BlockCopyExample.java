package dev.ferry.example.blockcopy;

import dev.ferry.blockmig.BlockCopy;
import dev.ferry.blockmig.CopyMode;
import dev.ferry.blockmig.CopyOptions;
import dev.ferry.blockmig.DiskStats;
import dev.ferry.blockmig.DriveSelection;
import dev.ferry.savevm.MigrationChannel;
import dev.ferry.savevm.MigrationOptions;
import dev.ferry.savevm.MigrationState;
import dev.ferry.transport.Transports;
import dev.ferry.vm.block.BlockDevice;
import dev.ferry.vm.block.BlockImages;
import dev.ferry.vm.block.ImageFormat;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.SequencedMap;

/**
 * Copies a 64 MiB disk that a writer thread keeps changing into another JVM with Ferry's
 * block-migration, then checks that the copy holds exactly what the source holds.
 *
 * <p>{@code BlockCopyExample [FOLDER]} is the source: it makes {@code FOLDER/source.raw} (a new
 * temporary folder by default), starts the receiving JVM, and copies over loopback TCP.
 * {@code BlockCopyExample receive URI IMAGE} is that receiving JVM. Exit status 0 means verified.
 */
public final class BlockCopyExample {

    private static final long DISK_SIZE = 64L << 20;
    private static final Duration LIMIT = Duration.ofMinutes(3);

    private BlockCopyExample() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 3 && args[0].equals("receive")) {
            System.exit(Receiver.run(args[1], Path.of(args[2])));
        }
        if (args.length > 1) {
            System.err.println("usage: BlockCopyExample [FOLDER] | BlockCopyExample receive URI IMAGE");
            System.exit(2);
        }
        Path dir = args.length == 1 ? Files.createDirectories(Path.of(args[0])) : Files.createTempDirectory("ferry-example-");
        System.exit(copyAndVerify(dir));
    }

    private static int copyAndVerify(Path dir) throws IOException, InterruptedException {
        Module ferry = BlockCopy.class.getModule();
        System.out.println("Ferry runs " + (ferry.isNamed() ? "on the module path as module " + ferry.getName()
                : "on the class path (unnamed module)"));
        Path sourcePath = dir.resolve("source.raw");
        Path copyPath = dir.resolve("copy.raw");
        Files.deleteIfExists(sourcePath);
        Files.deleteIfExists(copyPath);
        BlockImages.createRaw(sourcePath, DISK_SIZE);
        try (BlockDevice source = BlockImages.open(sourcePath, ImageFormat.RAW, false);
             ChildJvm receiver = ChildJvm.start("receive", "tcp:127.0.0.1:0", copyPath.toString())) {
            BusyWriter.fill(source, 0, DISK_SIZE / 2);
            String uri = receiver.awaitListening(Duration.ofSeconds(60));
            try (BusyWriter writer = BusyWriter.start(source, 8L << 20)) {
                var link = Transports.connect(uri, Duration.ofSeconds(10));
                SequencedMap<String, BlockDevice> drives = new LinkedHashMap<>();
                drives.put("vda", source);
                BlockCopy copy = BlockCopy.send(drives, DriveSelection.ALL, CopyOptions.of(CopyMode.FULL),
                        MigrationOptions.defaults(), writer, MigrationChannel.duplex(link, link::shutdownOutput),
                        stats -> { });
                MigrationState end = copy.driver().await(LIMIT);
                if (!(end instanceof MigrationState.Completed)) {
                    copy.driver().cancel();
                    System.err.println("copy did not complete: " + end);
                    return 1;
                }
                int status = receiver.awaitExit(Duration.ofSeconds(60));
                if (status != 0) {
                    System.err.println("the receiving JVM exited with status " + status);
                    return 1;
                }
                // On success the writer stays paused: the source is frozen as the copy was finished.
                DiskStats stats = copy.disks().getFirst();
                System.out.println("copied: " + stats.summary() + "; the writer made " + writer.writes()
                        + " writes while the copy ran");
                if (writer.writes() == 0) {
                    System.err.println("the writer never wrote during the copy: nothing live was shown");
                    return 1;
                }
                return verify(source, copyPath);
            }
        }
    }

    /** Reads both images whole and compares their SHA-256. */
    private static int verify(BlockDevice source, Path copyPath) throws IOException {
        byte[] expected = BlockImages.sha256(source);
        byte[] actual;
        try (BlockDevice copy = BlockImages.open(copyPath, ImageFormat.RAW, true)) {
            actual = BlockImages.sha256(copy);
        }
        String hex = HexFormat.of().formatHex(expected);
        if (!Arrays.equals(expected, actual)) {
            System.err.println("MISMATCH: source sha256 " + hex + ", copy sha256 " + HexFormat.of().formatHex(actual));
            return 1;
        }
        System.out.println("verified: source and copy have sha256 " + hex);
        return 0;
    }
}
