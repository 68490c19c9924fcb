package dev.ferry.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.monitor.demo.Patience;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Faults during a live full-disk migration between two real {@code ferry run} processes while the
 * source's workload writes: the destination or the source killed with SIGKILL, the connection
 * dropped under both, {@code migrate_cancel}, or the connection stalled and then cancelled, at
 * points from early in the bulk copy to the switch. Afterwards a surviving source runs on with its disk intact and its dirty tracking off,
 * a destination that lost its source refuses to start and leaves nothing behind, and a second
 * migration succeeds.
 */
class LiveFaultIT {

    private static final Duration POINT_TIMEOUT = Patience.seconds(60);
    /** Long enough for the source's socket buffers to fill, so its writer blocks. */
    private static final long STALL_MILLIS = 1500;

    /** Where in the migration the fault strikes. */
    enum Point {
        BULK_10("early in the bulk copy (10 %)"),
        BULK_50("mid-way through the bulk copy (50 %)"),
        DIRTY("during the dirty passes"),
        SWITCH("during the switch (source paused)");

        final String words;

        Point(String words) {
            this.words = words;
        }
    }

    /** What happens. */
    enum Fault {
        KILL_DESTINATION("destination SIGKILL"),
        KILL_SOURCE("source SIGKILL"),
        CUT_CONNECTION("connection dropped"),
        CANCEL("migrate_cancel"),
        STALL_THEN_CANCEL("connection stalled, then migrate_cancel");

        final String words;

        Fault(String words) {
            this.words = words;
        }
    }

    static Stream<Arguments> faultsAndPoints() {
        return Stream.concat(Stream.of(Fault.KILL_DESTINATION, Fault.KILL_SOURCE, Fault.CUT_CONNECTION)
                        .flatMap(fault -> Arrays.stream(Point.values()).map(point -> Arguments.of(fault, point))),
                Stream.of(Point.BULK_50, Point.SWITCH).map(point -> Arguments.of(Fault.STALL_THEN_CANCEL, point)));
    }

    @ParameterizedTest(name = "{0} at {1}")
    @MethodSource("faultsAndPoints")
    void survives(Fault fault, Point point, @TempDir Path dir) throws Exception {
        FaultSummary.repeat(fault.words + ", " + point.words, FaultSummary.runs(),
                run -> inject(fault, point, Duration.ZERO, Files.createDirectory(dir.resolve("run" + run)), 1000L * run + point.ordinal()));
    }

    /** {@code migrate_cancel} at a random point, and a random moment after it: four times per run count. */
    @Test
    void survivesCancelAtRandomPoints(@TempDir Path dir) throws Exception {
        long seed = Long.getLong("ferry.fault.seed", System.nanoTime());
        SplittableRandom random = new SplittableRandom(seed);
        System.out.println("migrate_cancel points seeded with -Dferry.fault.seed=" + seed);
        FaultSummary.repeat(Fault.CANCEL.words + ", random point", 4 * FaultSummary.runs(), run -> {
            Point point = Point.values()[random.nextInt(Point.values().length)];
            Duration delay = Duration.ofMillis(random.nextInt(300));
            System.out.printf(Locale.ROOT, "migrate_cancel run %d: %s + %d ms%n", run + 1, point.words, delay.toMillis());
            inject(Fault.CANCEL, point, delay, Files.createDirectory(dir.resolve("run" + run)), random.nextLong());
        });
    }

    /**
     * The faults once with {@code --machine kvm} (CI's nested KVM stage): the source's guest keeps
     * running and verifying, and a destination never starts a partial VM. The nested VM's /tmp
     * (tmpfs on Linux 6.1) has no user extended attributes: the image a killed destination
     * created carries Ferry's mark as a file beside it, so the retry may overwrite it.
     */
    @ParameterizedTest(name = "kvm: {0} mid-way through the bulk copy")
    @EnumSource(value = Fault.class, names = {"KILL_DESTINATION", "KILL_SOURCE", "CANCEL"})
    @Tag("kvm")
    void survivesOnKvm(Fault fault, @TempDir Path dir) throws Exception {
        KvmHost.assumeKvm();
        FaultSummary.repeat("kvm: " + fault.words + ", " + Point.BULK_50.words, 1,
                run -> inject("kvm", fault, Point.BULK_50, Duration.ZERO, dir, 7));
    }

    @AfterAll
    static void summary() {
        FaultSummary.write();
    }

    private static void inject(Fault fault, Point point, Duration delay, Path dir, long seed) throws Exception {
        inject("none", fault, point, delay, dir, seed);
    }

    private static void inject(String machine, Fault fault, Point point, Duration delay, Path dir, long seed) throws Exception {
        try (LiveMigrationRig rig = LiveMigrationRig.start(machine, dir, seed)) {
            rig.migrateThroughCutter();
            rig.phases().mark("migration started");
            reach(rig, point);
            rig.phases().mark("reached " + point);
            Thread.sleep(delay);
            switch (fault) {
                case KILL_DESTINATION -> {
                    rig.destination().kill();
                    rig.assertSourceRecovered("failed");
                    // disk.img.ferry-incoming: Ferry's mark where the file system keeps no user attributes
                    LiveMigrationRig.assertOnlyLeft(rig.destinationDir(), rig.destination().socket(),
                            rig.destinationDir().resolve("disk.img"), rig.destinationDir().resolve("disk.img.ferry-incoming"));
                }
                case KILL_SOURCE -> {
                    rig.source().kill();
                    rig.assertDestinationRefused();
                    LiveMigrationRig.assertOnlyLeft(rig.sourceDir(), rig.sourceDisk(), rig.source().socket());
                    rig.restartSource();
                }
                case CUT_CONNECTION -> {
                    rig.cutter().cut();
                    rig.assertSourceRecovered("failed");
                    rig.assertDestinationRefused();
                }
                case CANCEL -> {
                    assertEquals(List.of(), rig.source().command("migrate_cancel"));
                    rig.assertSourceRecovered("cancelled");
                    rig.assertDestinationRefused();
                }
                case STALL_THEN_CANCEL -> {
                    rig.cutter().stall();
                    Thread.sleep(STALL_MILLIS);
                    assertEquals(List.of(), rig.source().command("migrate_cancel"));
                    rig.assertSourceRecovered("cancelled");
                    // Nothing tells a destination behind a dead link: it waits, never runs, and the operator ends it.
                    assertEquals("VM status: paused (inmigrate)", rig.destination().infoLine("status", "VM status:"));
                    rig.destination().kill();
                }
            }
            rig.assertSecondMigrationSucceeds();
        }
        System.out.println("phase closed");
    }

    /** Waits until the migration is at {@code point}, watching the wire and the source's {@code info migrate}. */
    private static void reach(LiveMigrationRig rig, Point point) throws Exception {
        TcpCutter cutter = rig.cutter();
        switch (point) {
            case BULK_10, BULK_50 -> {
                long bytes = LiveMigrationRig.DISK_BYTES * (point == Point.BULK_10 ? 10 : 50) / 100;
                assertTrue(cutter.awaitForwarded(bytes, POINT_TIMEOUT), "the stream never reached " + bytes + " bytes");
                LiveMigrationRig.awaitDiskPhase(rig.source(), "bulk", Duration.ofSeconds(1));
            }
            case DIRTY -> LiveMigrationRig.awaitDiskPhase(rig.source(), "dirty", POINT_TIMEOUT);
            case SWITCH -> {
                assertTrue(cutter.awaitHeld(POINT_TIMEOUT), "the source never sent END");
                LiveMigrationRig.awaitStatus(rig.source(), s -> s.equals("Migration status: device"), Duration.ofSeconds(5));
            }
        }
    }
}
