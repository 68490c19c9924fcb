package dev.ferry.blockmig;

import dev.ferry.savevm.IncomingStats;
import dev.ferry.savevm.MigrationChannel;
import dev.ferry.savevm.MigrationOptions;
import dev.ferry.savevm.MigrationState;
import dev.ferry.vm.block.BlockDevice;
import dev.ferry.vm.block.BlockImages;
import dev.ferry.vm.block.ImageFormat;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Set;
import java.util.SequencedMap;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies a scratch disk into a scratch image inside this process, over loopback TCP, in a process
 * that may soon copy a disk: a running VM with disks, or a destination waiting for one. It is the
 * path a migration's disk takes ({@link BlockCopy}: the source's reads, zero checks, digest and
 * frames; the destination's frames, writes, read-back and digest). A fresh JVM runs that path
 * interpreted and in C1 code until C2 has compiled it, and the copy was when C2 got to it: a 1 GiB
 * full copy ran at half speed for its first second, and one JVM copying a 100 MiB overlay twice took
 * 2 s the first time and under 1 the second (docs/benchmarks.md).
 *
 * <p>It copies {@value #ROUNDS} times a disk of {@value #DISK_MIB} MiB (data, written zeroes and a
 * hole), fewer if that takes long ({@link #BUDGET}), and gives way, cancelling the copy under way,
 * once a disk's copy begins in this process ({@link #copyBegins}). Nothing of it leaves this class:
 * its files are deleted, its digests dropped, and a process that ends during it exits as it would
 * have without it ({@link ExitCleanUp}).
 */
public final class DiskCopyRehearsal {

    private static final Logger LOG = LoggerFactory.getLogger(DiskCopyRehearsal.class);
    /** Copies in all: past C2's thresholds for the per-granule calls (256 per MiB on each side). */
    static final int ROUNDS = 6;
    static final int DISK_MIB = 16;
    private static final long MIB = 1 << 20;
    /** Of each disk: data first, then written zeroes, then a hole to the end. */
    private static final long DATA_BYTES = 10 * MIB;
    private static final long ZEROES_BYTES = 2 * MIB;
    /**
     * No copy begins after the first once this much time has passed: on a slow machine (the nested
     * KVM's emulated CPU copies a round in seconds) it would take that much from the guest.
     */
    private static final Duration BUDGET = Duration.ofSeconds(5);
    private static final Duration LIMIT = Duration.ofMinutes(2);
    /** How often a copy under way looks whether it must give way. */
    private static final Duration POLL = Duration.ofMillis(10);

    /** How a rehearsal's scratch directory's name begins, in the temporary directory. */
    static final String SCRATCH_PREFIX = "ferry-rehearsal-";
    /** The rehearsals' directories: a copy of a disk in one of them is not a real copy. */
    private static final Set<Path> SCRATCH = ConcurrentHashMap.newKeySet();
    private static final AtomicLong COPIES_BEGUN = new AtomicLong();

    private DiskCopyRehearsal() {
    }

    /**
     * Rehearses up to {@value #ROUNDS} copies on the calling thread, until a real copy begins; meant
     * for a preparation thread that nothing waits for. A failure is logged, never thrown.
     */
    public static void run() {
        long start = System.nanoTime();
        LOG.debug("disk copy rehearsal begins (its copies log as drive 'rehearsal')");
        try {
            int rounds = run(ROUNDS, BUDGET, untilACopyBegins());
            LOG.debug("disk copy rehearsed: {} copies of {} MiB in {} ms", rounds, DISK_MIB, (System.nanoTime() - start) / 1_000_000);
        } catch (IOException | RuntimeException e) {
            if (ExitCleanUp.processEnds()) {
                LOG.debug("disk copy rehearsal cut short by the process's end: {}", e.toString());
            } else {
                LOG.warn("disk copy rehearsal failed (a copy is unaffected): {}", e.toString());
            }
        }
    }

    /** A disk's copy begins in this process: a running rehearsal cancels its copy under way, unless the disk is its own. */
    static void copyBegins(BlockDevice device) {
        Path path = device.path().toAbsolutePath();
        if (SCRATCH.stream().noneMatch(path::startsWith)) {
            COPIES_BEGUN.incrementAndGet();
        }
    }

    /** True once a real copy (sending or receiving a disk) began in this process after this call. */
    static BooleanSupplier untilACopyBegins() {
        long begun = COPIES_BEGUN.get();
        return () -> COPIES_BEGUN.get() != begun;
    }

    /**
     * Copies the scratch disk up to {@code rounds} times while {@code stop} says nothing (a copy under
     * way when it does is cancelled), beginning no copy after the first once {@code budget} is spent;
     * returns the copies made.
     *
     * @throws IOException if a copy fails, the destination included
     */
    static int run(int rounds, Duration budget, BooleanSupplier stop) throws IOException {
        long deadline = System.nanoTime() + budget.toNanos();
        // Registered before the first file: a process already ending gets none.
        ExitCleanUp atExit = new ExitCleanUp();
        if (!atExit.register()) {
            LOG.debug("disk copy not rehearsed: the process ends");
            return 0;
        }
        try {
            Path dir = Files.createTempDirectory(SCRATCH_PREFIX).toAbsolutePath();
            Path source = dir.resolve("source.raw");
            Path target = dir.resolve("target.raw");
            List<Path> files = List.of(target, source, dir);
            atExit.guard(files);
            SCRATCH.add(dir);
            try {
                return copies(source, target, rounds, deadline, () -> ExitCleanUp.processEnds() || stop.getAsBoolean());
            } finally {
                try {
                    deleteAll(files);
                } finally {
                    SCRATCH.remove(dir);
                }
            }
        } finally {
            atExit.ended();
        }
    }

    /** Fills {@code source} and copies it into {@code target} up to {@code rounds} times, as {@link #run} says. */
    private static int copies(Path source, Path target, int rounds, long deadline, BooleanSupplier giveWay) throws IOException {
        BlockImages.createRaw(source, DISK_MIB * MIB);
        int done = 0;
        try (BlockDevice disk = BlockImages.open(source, ImageFormat.RAW, false)) {
            fill(disk);
            while (done < rounds && (done == 0 || System.nanoTime() < deadline) && !giveWay.getAsBoolean()
                    && copy(disk, target, giveWay)) {
                Files.delete(target);
                done++;
            }
        }
        return done;
    }

    /** Deletes {@code files} in order (a directory after what it holds); a file that is gone is fine. */
    static void deleteAll(List<Path> files) throws IOException {
        for (Path file : files) {
            Files.deleteIfExists(file);
        }
    }

    private static void fill(BlockDevice disk) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment data = arena.allocate(DATA_BYTES, 4096);
            SplittableRandom random = new SplittableRandom();
            for (long at = 0; at < DATA_BYTES; at += Long.BYTES) {
                data.set(ValueLayout.JAVA_LONG_UNALIGNED, at, random.nextLong());
            }
            disk.write(0, data);
            disk.write(DATA_BYTES, arena.allocate(ZEROES_BYTES, 4096));
        }
    }

    /**
     * One copy, as a migration over tcp makes it: a receiver on a loopback socket, the source
     * sending into it. Cancelled, and false, once {@code stop} says so.
     */
    private static boolean copy(BlockDevice disk, Path target, BooleanSupplier stop) throws IOException {
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            CompletableFuture<IncomingStats> received = new CompletableFuture<>();
            Thread.ofPlatform().name("rehearsal-destination").daemon().start(() -> {
                try {
                    received.complete(BlockCopy.receive(List.of(TargetImage.of("rehearsal", target)),
                            MigrationChannel.duplex(server.accept())));
                } catch (IOException | RuntimeException e) {
                    received.completeExceptionally(e);
                }
            });
            SequencedMap<String, BlockDevice> drives = new LinkedHashMap<>();
            drives.put("rehearsal", disk);
            BlockCopy copy = BlockCopy.send(drives, DriveSelection.ALL, CopyOptions.of(CopyMode.FULL), MigrationOptions.defaults(),
                    BlockCopy.QUIESCED, MigrationChannel.duplex(SocketChannel.open(server.getLocalAddress())), stats -> { });
            MigrationState end = copy.driver().await(POLL);
            for (long waited = POLL.toMillis(); !end.isFinal() && !stop.getAsBoolean(); waited += POLL.toMillis()) {
                if (waited >= LIMIT.toMillis()) {
                    copy.driver().cancel();
                    throw new IOException("the rehearsal's copy did not end within " + LIMIT.toSeconds() + " s");
                }
                end = copy.driver().await(POLL);
            }
            if (!end.isFinal()) {
                // Given way: both sides end (the destination on the ABORT) before the files go.
                copy.driver().cancel();
                copy.driver().await(LIMIT);
                received.exceptionallyCompose(e -> CompletableFuture.completedFuture(null)).get();
                return false;
            }
            if (!(end instanceof MigrationState.Completed)) {
                throw new IOException("the rehearsal's copy ended " + end);
            }
            received.get();
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("disk copy rehearsal interrupted", e);
        } catch (ExecutionException e) {
            throw new IOException("the rehearsal's destination failed: " + e.getCause().getMessage(), e);
        }
    }
}
