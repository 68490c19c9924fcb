package dev.ferry.savevm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.savevm.stream.Frame;
import dev.ferry.savevm.stream.FrameReader;
import dev.ferry.savevm.stream.FrameWriter;
import dev.ferry.savevm.stream.StreamFormat;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The source driver against a real destination over loopback TCP, with a guest that keeps
 * dirtying pages while the migration runs.
 */
class MigrationDriverTest {

    private static final MachineConfig CONFIG = MachineConfig.of(64L << 20);

    /** Both ends of a loopback TCP connection. */
    private record Link(SocketChannel source, SocketChannel destination) {
        static Link open() throws IOException {
            try (ServerSocketChannel server = ServerSocketChannel.open()) {
                server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                SocketChannel source = SocketChannel.open(server.getLocalAddress());
                return new Link(source, server.accept());
            }
        }
    }

    /** A destination VM's sections, receiving on a thread of its own. */
    private static final class Destination {
        final SyntheticRam ram;
        final DeviceSection device;
        final CompletableFuture<IncomingStats> result = new CompletableFuture<>();

        Destination(int pages, String verifyFailure, SocketChannel channel) {
            this(pages, verifyFailure, channel, () -> { });
        }

        /** {@code acknowledged}: what the destination does right after its ACK (starting its VM). */
        Destination(int pages, String verifyFailure, SocketChannel channel, Runnable acknowledged) {
            ram = new SyntheticRam("ram", pages);
            device = new DeviceSection(1, null, verifyFailure);
            SectionRegistry registry = new SectionRegistry().register(ram).register(device);
            Thread.ofPlatform().name("destination").start(() -> {
                try {
                    result.complete(IncomingMigration.receive(registry, MachineConfig.class, ConfigCheck.sameAs(CONFIG),
                            MigrationChannel.duplex(channel), Optional.empty(), acknowledged));
                } catch (MigrationException | RuntimeException e) {
                    result.completeExceptionally(e);
                }
            });
        }

        /** The destination's error, which it must have raised. */
        MigrationException failure() throws InterruptedException, java.util.concurrent.TimeoutException {
            try {
                result.get(20, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                return assertInstanceOf(MigrationException.class, e.getCause());
            }
            throw new AssertionError("the destination accepted the stream");
        }
    }

    /** A source VM: RAM with a dirtying guest, a device section. */
    private static final class Source implements AutoCloseable {
        final SyntheticRam ram;
        final SyntheticVm vm;
        final SectionRegistry registry;
        final DeviceSection device = new DeviceSection(1, DeviceSection.sample(), null);

        Source(int pages, long dirtyBytesPerSecond, boolean honoursThrottle) {
            ram = new SyntheticRam("ram", pages);
            for (int page = 0; page < pages; page++) {
                ram.guestWrite(page, page * 31L + 7);
            }
            vm = new SyntheticVm(ram, dirtyBytesPerSecond, honoursThrottle);
            registry = new SectionRegistry().register(ram).register(device);
        }

        MigrationDriver migrate(Link link, MigrationOptions options) {
            return MigrationDriver.start(registry, vm, CONFIG, MigrationChannel.duplex(link.source()), options);
        }

        @Override
        public void close() throws InterruptedException {
            vm.close();
        }
    }

    @Test
    void convergesUnderDirtyingAndCopiesEveryByte() throws Exception {
        Link link = Link.open();
        try (Source source = new Source(2048, 4 << 20, true)) {
            Destination destination = new Destination(2048, null, link.destination());
            MigrationOptions options = MigrationOptions.defaults().withMaxBandwidth(40 << 20).withDowntimeLimit(Duration.ofMillis(100));
            MigrationDriver driver = source.migrate(link, options);
            assertCopied(driver, Duration.ofSeconds(30), source, destination);
            assertTrue(source.vm.paused(), "the source stays paused after success");
            MigrationStats stats = driver.stats();
            assertTrue(stats.iterations() > 1, "dirty pages needed more passes: " + stats);
            assertTrue(stats.expectedDowntime().compareTo(Duration.ofMillis(100)) <= 0, stats.toString());
            assertTrue(stats.actualDowntime().isPresent());
            assertTrue(stats.transferredBytes() > 8L << 20, stats.toString());
            assertEquals(0, stats.remainingBytes());
            assertTrue(stats.sections().getFirst().transferredBytes() > 8L << 20, stats.toString());
            assertEquals(List.of(true), source.ram.cleanups());
            assertEquals(0, source.vm.resumes());
        }
    }

    /** The operator's frame checksum holds over the measured one: the stream carries it, and the destination checks it. */
    @ParameterizedTest
    @EnumSource(value = FrameChecksumMode.class, names = {"CRC32C", "XXH3"})
    void theFrameChecksumTheOptionsNameSealsTheStream(FrameChecksumMode mode) throws Exception {
        Link link = Link.open();
        try (Source source = new Source(256, 0, false)) {
            Destination destination = new Destination(256, null, link.destination());
            MigrationDriver driver = source.migrate(link, MigrationOptions.defaults().withFrameChecksum(mode));
            assertCopied(driver, Duration.ofSeconds(30), source, destination);
            assertEquals((mode == FrameChecksumMode.XXH3 ? "XXH3-64" : "CRC32C") + " (set by frame-checksum)",
                    driver.stats().frameChecksum());
        }
    }

    /**
     * The destination's VM starts right after the ACK, before the link is closed (and the
     * downtime's debug lines written): the guest's pause ends as soon after the source's as it can.
     */
    @Test
    void theDestinationStartsItsVmRightAfterTheAckBeforeClosingTheLink() throws Exception {
        Link link = Link.open();
        List<Boolean> openAtStart = new CopyOnWriteArrayList<>();
        try (Source source = new Source(256, 0, false)) {
            Destination destination = new Destination(256, null, link.destination(),
                    () -> openAtStart.add(link.destination().isOpen()));
            assertCopied(source.migrate(link, MigrationOptions.defaults()), Duration.ofSeconds(30), source, destination);
            assertEquals(List.of(true), openAtStart, "started once, with the link still open");
            assertFalse(link.destination().isOpen(), "closed once the receive returned");
        }
    }

    /**
     * A VM that fails to start after the ACK: the failure reaches the destination's caller as it
     * is, and no NACK follows the ACK, since the source has stopped for good (it completed).
     */
    @Test
    void aStartThatFailsAfterTheAckIsThrownAsItIsWithoutANack() throws Exception {
        Link link = Link.open();
        IllegalStateException broken = new IllegalStateException("the vCPUs could not start");
        try (Source source = new Source(256, 0, false)) {
            Destination destination = new Destination(256, null, link.destination(), () -> {
                throw broken;
            });
            MigrationDriver driver = source.migrate(link, MigrationOptions.defaults());
            assertInstanceOf(MigrationState.Completed.class, driver.await(Duration.ofSeconds(30)), () -> driver.state().toString());
            ExecutionException thrown = assertThrows(ExecutionException.class, () -> destination.result.get(5, TimeUnit.SECONDS));
            assertSame(broken, thrown.getCause());
            assertTrue(source.vm.paused(), "the source stays paused: it handed the VM over");
            assertEquals(0, source.vm.resumes());
        }
    }

    /** A state section warms its save path once, while the VM still runs. */
    @Test
    void stateSectionsRehearseOnceBeforeThePause() throws Exception {
        Link link = Link.open();
        try (Source source = new Source(256, 0, false)) {
            Destination destination = new Destination(256, null, link.destination());
            assertCopied(source.migrate(link, MigrationOptions.defaults()), Duration.ofSeconds(30), source, destination);
            List<Long> rehearsals = source.device.rehearsals();
            assertEquals(1, rehearsals.size(), "rehearsals");
            assertTrue(rehearsals.getFirst() < source.vm.pausedAt(), "rehearsed while the VM ran");
        }
    }

    /**
     * The rehearsal runs beside the copy: a slow one holds the pause (the copy goes on, the VM
     * runs) until it ends, and only then does the VM pause, with its save path warmed.
     */
    @Test
    void aSlowRehearsalHoldsThePauseNotTheCopy() throws Exception {
        Link link = Link.open();
        try (Source source = new Source(256, 64 << 10, false)) {
            source.device.holdingRehearsal();
            Destination destination = new Destination(256, null, link.destination());
            MigrationDriver driver = source.migrate(link, MigrationOptions.defaults());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (driver.stats().transferredBytes() < 256 * 4096 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertTrue(driver.stats().transferredBytes() >= 256 * 4096, "the copy went on: " + driver.stats());
            Thread.sleep(500); // the rest fit long ago
            assertFalse(source.vm.paused(), "paused before the rehearsal ended");
            assertInstanceOf(MigrationState.Active.class, driver.state());
            long released = System.nanoTime();
            source.device.endRehearsal(null);
            assertCopied(driver, Duration.ofSeconds(30), source, destination);
            assertTrue(source.vm.pausedAt() > released, "paused after the rehearsal ended");
        }
    }

    /** A rehearsal that fails (the pause's save would fail the same way) fails the migration with its reason, the VM unpaused. */
    @Test
    void aFailedRehearsalFailsTheMigration() throws Exception {
        Link link = Link.open();
        try (Source source = new Source(256, 0, false)) {
            source.device.holdingRehearsal();
            Destination destination = new Destination(256, null, link.destination());
            MigrationDriver driver = source.migrate(link, MigrationOptions.defaults());
            source.device.endRehearsal(new IllegalStateException("no state here"));
            MigrationState.Failed failed = assertInstanceOf(MigrationState.Failed.class, driver.await(Duration.ofSeconds(30)));
            assertTrue(failed.reason().contains("rehearsal failed") && failed.reason().contains("no state here"), failed.reason());
            assertFalse(source.vm.paused(), "the VM runs on");
            destination.failure();
        }
    }

    /** A limit no switch can meet (zero): the copy completes, and the stats say by how much and where the pause went. */
    @Test
    void aDowntimeOverTheLimitIsExplainedInTheStats() throws Exception {
        Link link = Link.open();
        try (Source source = new Source(256, 0, false)) {
            Destination destination = new Destination(256, null, link.destination());
            MigrationDriver driver = source.migrate(link, MigrationOptions.defaults().withDowntimeLimit(Duration.ZERO));
            assertCopied(driver, Duration.ofSeconds(30), source, destination);
            String note = driver.stats().downtimeNote();
            assertTrue(note.startsWith("over the 0 ms limit: pause ") && note.contains("destination's checks until ACK "), note);
        }
    }

    /**
     * The destination reports that it is behind (a backlog of work on what it loaded): the source
     * does not pause the guest until a report says it caught up, though the rest fit long before.
     */
    @Test
    void theGuestPausesOnlyOnceTheDestinationCaughtUp() throws Exception {
        Link link = Link.open();
        try (Source source = new Source(256, 0, false)) {
            Destination destination = new Destination(256, null, link.destination());
            destination.ram.owe(64L << 30); // more than any bandwidth here moves within the limit
            MigrationDriver driver = source.migrate(link, MigrationOptions.defaults());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (!(driver.stats().state() instanceof MigrationState.Active && driver.stats().remainingBytes() == 0
                    && driver.stats().transferredBytes() >= 256 * SyntheticRam.PAGE) && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            Thread.sleep(300); // every page sent: only the destination's backlog holds the switch now
            assertEquals(0, source.vm.pauses(), "paused while the destination was 64 GiB behind");
            assertTrue(driver.stats().expectedDowntime().compareTo(Duration.ofMillis(1)) > 0,
                    "the backlog counts in the expected downtime: " + driver.stats());
            long caughtUp = System.nanoTime();
            destination.ram.owe(0);
            assertCopied(driver, Duration.ofSeconds(30), source, destination);
            assertTrue(source.vm.pausedAt() > caughtUp, "paused before the destination caught up");
        }
    }

    /**
     * A frame of zero markers is a few bytes on the wire and gigabytes of work at the destination
     * (issue 15: two loaded 4 GiB demos paused while the destination still applied the zero half,
     * though the source had it as 0 bytes behind). While the destination's applier holds that
     * frame the source must not pause, and its expected downtime counts the markers' range; the
     * guest pauses only after the frame was let go.
     */
    @Test
    void theGuestDoesNotPauseWhileTheDestinationStillAppliesZeroMarkers() throws Exception {
        Link link = Link.open();
        SyntheticRam ram = new SyntheticRam("ram", 16);
        SyntheticRam received = new SyntheticRam("ram", 16);
        ZeroMarkers held = new ZeroMarkers(0);
        CompletableFuture<IncomingStats> result = new CompletableFuture<>();
        SectionRegistry destination = new SectionRegistry().register(received).register(held);
        Thread.ofPlatform().name("destination").start(() -> {
            try {
                result.complete(IncomingMigration.receive(destination, MachineConfig.class, ConfigCheck.sameAs(CONFIG),
                        MigrationChannel.duplex(link.destination())));
            } catch (MigrationException | RuntimeException e) {
                result.completeExceptionally(e);
            }
        });
        Duration limit = MigrationOptions.defaults().downtimeLimit();
        try (SyntheticVm vm = new SyntheticVm(ram, 0, false)) {
            MigrationDriver driver = MigrationDriver.start(new SectionRegistry().register(ram).register(new ZeroMarkers(64L << 30)),
                    vm, CONFIG, MigrationChannel.duplex(link.source()), MigrationOptions.defaults());
            long releasedAt;
            try {
                assertTrue(held.awaitApplying(20), "the markers' frame never reached the destination");
                // Everything is sent: the source either pauses now (wrongly) or publishes the range as still due.
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (vm.pauses() == 0 && driver.stats().expectedDowntime().compareTo(limit) <= 0 && System.nanoTime() < deadline) {
                    Thread.sleep(1);
                }
                assertEquals(0, vm.pauses(), "paused while the destination still applied 64 GiB of zero markers");
                assertTrue(driver.stats().expectedDowntime().compareTo(limit) > 0,
                        "the markers' range counts in the expected downtime: " + driver.stats());
            } finally {
                releasedAt = System.nanoTime();
                held.release();
            }
            assertInstanceOf(MigrationState.Completed.class, driver.await(Duration.ofSeconds(30)), () -> driver.state().toString());
            result.get(5, TimeUnit.SECONDS);
            assertEquals(64L << 30, held.appliedRange());
            assertArrayEquals(ram.snapshot(), received.snapshot());
            assertTrue(vm.pausedAt() > releasedAt, "paused before the destination applied the markers");
        }
    }

    /** A destination that never catches up does not hold the switch for ever: it waits {@code MAX_SETTLE_MILLIS} at most. */
    @Test
    void aDestinationThatNeverCatchesUpDoesNotHoldTheSwitch() throws Exception {
        Link link = Link.open();
        try (Source source = new Source(256, 0, false)) {
            Destination destination = new Destination(256, null, link.destination());
            destination.ram.owe(1L << 20);
            assertCopied(source.migrate(link, MigrationOptions.defaults()), Duration.ofSeconds(30), source, destination);
        }
    }

    /** With a limit below the destination's round trip, {@code info migrate}'s note says so while the copy runs. */
    @Test
    void aLimitBelowTheRoundTripIsExplainedWhileTheCopyRuns() throws Exception {
        Link link = Link.open();
        try (Source source = new Source(1024, 0, false)) {
            Destination destination = new Destination(1024, null, link.destination());
            MigrationDriver driver = source.migrate(link, MigrationOptions.defaults().withMaxBandwidth(2 << 20)
                    .withDowntimeLimit(Duration.ZERO));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            String note = "";
            while (!note.startsWith("the 0 ms limit cannot be met") && System.nanoTime() < deadline
                    && !driver.state().isFinal()) {
                Thread.sleep(5);
                note = driver.stats().downtimeNote();
            }
            assertTrue(note.startsWith("the 0 ms limit cannot be met: the destination's round trip alone takes "), note);
            assertCopied(driver, Duration.ofSeconds(30), source, destination);
        }
    }

    @Test
    void throttlesTheGuestWhenDirtyingOutrunsTheLink() throws Exception {
        Link link = Link.open();
        try (Source source = new Source(1024, 16 << 20, true)) {
            Destination destination = new Destination(1024, null, link.destination());
            MigrationOptions options = MigrationOptions.defaults().withMaxBandwidth(8 << 20)
                    .withDowntimeLimit(Duration.ofMillis(20)).withStallWindow(Duration.ofMillis(200), 0);
            MigrationDriver driver = source.migrate(link, options);
            assertCopied(driver, Duration.ofSeconds(40), source, destination);
            assertTrue(source.ram.maxThrottleLevel() >= 1, "the section was told it did not converge");
            assertTrue(driver.stats().throttleLevel() >= 1, driver.stats().toString());
        }
    }

    @Test
    void givesUpWhenNeverConvergingAndTheVmRunsOn() throws Exception {
        Link link = Link.open();
        try (Source source = new Source(1024, 16 << 20, false)) {
            Destination destination = new Destination(1024, null, link.destination());
            MigrationOptions options = MigrationOptions.defaults().withMaxBandwidth(4 << 20)
                    .withDowntimeLimit(Duration.ofMillis(10)).withStallWindow(Duration.ofMillis(150), 3);
            MigrationDriver driver = source.migrate(link, options);
            MigrationState end = driver.await(Duration.ofSeconds(30));
            MigrationState.Failed failed = assertInstanceOf(MigrationState.Failed.class, end);
            assertEquals(Phase.ITERATE, failed.phase());
            assertTrue(failed.reason().startsWith("did not converge: "), failed.reason());
            assertEquals(3, driver.stats().throttleLevel());
            assertRunningAndClean(source, 0);
            assertTrue(destination.failure().getMessage().startsWith("the source aborted the migration: did not converge"));
        }
    }

    @Test
    void withAutoConvergeOffTheGuestIsNeverThrottledAndStatsSayWhyItStalls() throws Exception {
        Link link = Link.open();
        try (Source source = new Source(1024, 16 << 20, true)) {
            Destination destination = new Destination(1024, null, link.destination());
            MigrationOptions options = MigrationOptions.defaults().withMaxBandwidth(4 << 20).withAutoConverge(false)
                    .withDowntimeLimit(Duration.ofMillis(10)).withStallWindow(Duration.ofMillis(150), 3);
            MigrationDriver driver = source.migrate(link, options);
            MigrationState.Failed failed = assertInstanceOf(MigrationState.Failed.class, driver.await(Duration.ofSeconds(30)));
            assertTrue(failed.reason().startsWith("did not converge: "), failed.reason());
            assertEquals(0, source.ram.maxThrottleLevel(), "no section was told to throttle");
            assertEquals(0, driver.stats().throttleLevel());
            assertTrue(driver.stats().throttleReason().startsWith("auto-converge off; the guest dirtied "),
                    driver.stats().throttleReason());
            assertRunningAndClean(source, 0);
            assertTrue(destination.failure().getMessage().startsWith("the source aborted the migration: did not converge"));
        }
    }

    @Test
    void cancelStopsTheMigrationAndTheVmRunsOn() throws Exception {
        Link link = Link.open();
        try (Source source = new Source(4096, 1 << 20, true)) {
            Destination destination = new Destination(4096, null, link.destination());
            MigrationDriver driver = source.migrate(link, MigrationOptions.defaults().withMaxBandwidth(2 << 20));
            Thread.sleep(300);
            // Setup waits for the destination's answer to the configuration; on a busy machine that takes a moment.
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (driver.state() instanceof MigrationState.Setup && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertInstanceOf(MigrationState.Active.class, driver.state());
            driver.cancel();
            assertInstanceOf(MigrationState.Cancelled.class, driver.await(Duration.ofSeconds(5)));
            assertRunningAndClean(source, 0);
            assertEquals("the source aborted the migration: cancelled by the operator", destination.failure().getMessage());
        }
    }

    /** The destination answers the configuration first: a refusal there means nothing was copied and nothing paused. */
    /** Every state reaches the listener in order, even those that last microseconds. */
    @Test
    void theListenerHearsEveryStateInOrder() throws Exception {
        Link link = Link.open();
        try (Source source = new Source(512, 1 << 20, true)) {
            new Destination(512, null, link.destination());
            List<String> heard = new CopyOnWriteArrayList<>();
            MigrationDriver driver = MigrationDriver.start(source.registry, source.vm, () -> CONFIG,
                    MigrationChannel.duplex(link.source()), MigrationOptions.defaults(), state -> heard.add(state.status()));
            assertInstanceOf(MigrationState.Completed.class, driver.await(Duration.ofSeconds(30)));
            assertEquals(List.of("setup", "active", "device", "completed"), heard);
        }
        Link refusing = Link.open();
        try (Source source = new Source(512, 1 << 20, true)) {
            new Destination(512, null, refusing.destination());
            List<String> heard = new CopyOnWriteArrayList<>();
            MigrationDriver driver = MigrationDriver.start(source.registry, source.vm, () -> MachineConfig.of(32L << 20),
                    MigrationChannel.duplex(refusing.source()), MigrationOptions.defaults(), state -> heard.add(state.status()));
            assertInstanceOf(MigrationState.Failed.class, driver.await(Duration.ofSeconds(20)));
            assertEquals(List.of("setup", "failed"), heard, "a migration refused at once still says setup first");
        }
    }

    @Test
    void aRefusedConfigurationEndsTheMigrationBeforeAnySectionStarts() throws Exception {
        Link link = Link.open();
        try (Source source = new Source(512, 1 << 20, true)) {
            Destination destination = new Destination(512, null, link.destination());
            MigrationDriver driver = MigrationDriver.start(source.registry, source.vm, MachineConfig.of(32L << 20),
                    MigrationChannel.duplex(link.source()), MigrationOptions.defaults());
            MigrationState.Failed failed = assertInstanceOf(MigrationState.Failed.class, driver.await(Duration.ofSeconds(20)));
            assertEquals(Phase.SETUP, failed.phase());
            assertTrue(failed.reason().startsWith("the destination refused the migration: "), failed.reason());
            assertEquals(Phase.CONFIG, destination.failure().phase());
            assertTrue(failed.reason().endsWith(destination.failure().getMessage()), failed.reason());
            assertEquals(0, source.vm.pauses());
            assertEquals(List.of(), source.ram.cleanups(), "no live section was set up");
        }
    }

    /**
     * Tries to lose the refusal in a reset: the whole stream is already in the destination's socket
     * when it refuses the configuration, and closing a socket with bytes unread resets the link.
     * The destination reads on until the source hangs up, so the source reads the NACK and can
     * still write after it.
     */
    @Test
    void aRefusingDestinationReadsOnUntilTheSourceHangsUp() throws Exception {
        byte[] stream;
        try (Source source = new Source(512, 0, true)) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            MigrationDriver driver = MigrationDriver.start(source.registry, source.vm, MachineConfig.of(32L << 20),
                    MigrationChannel.writeOnly(Channels.newChannel(bytes)), MigrationOptions.defaults());
            assertInstanceOf(MigrationState.Completed.class, driver.await(Duration.ofSeconds(20)));
            stream = bytes.toByteArray();
        }
        Link link = Link.open();
        Destination destination = new Destination(512, null, link.destination());
        try (SocketChannel source = link.source()) {
            source.write(ByteBuffer.wrap(stream));
            Frame answer = new FrameReader(source, StreamFormat.CONTROL_PAYLOAD).next(Phase.SETUP);
            assertEquals(FrameKind.NACK, answer.kind(), answer.describe());
            Thread.sleep(200); // a destination that closed at once has reset the link by now
            assertDoesNotThrow(() -> source.write(ByteBuffer.wrap(stream)), "the destination still reads");
        }
        assertEquals(Phase.CONFIG, destination.failure().phase());
    }

    /** A destination that fails mid-stream answers NACK and closes: the source reports that reason, not the reset. */
    @Test
    void aRefusalMidStreamReachesTheSourceInsteadOfTheReset() throws Exception {
        Link link = Link.open();
        try (Source source = new Source(4096, 1 << 20, true)) {
            Destination destination = new Destination(1024, null, link.destination());
            MigrationDriver driver = source.migrate(link, MigrationOptions.defaults().withMaxBandwidth(8 << 20));
            MigrationState.Failed failed = assertInstanceOf(MigrationState.Failed.class, driver.await(Duration.ofSeconds(20)));
            String reason = destination.failure().getMessage();
            assertEquals("the destination refused the migration: " + reason, failed.reason());
            assertRunningAndClean(source, 0);
        }
    }

    @Test
    void refusalAfterThePauseResumesTheVm() throws Exception {
        Link link = Link.open();
        try (Source source = new Source(512, 1 << 20, true)) {
            Destination destination = new Destination(512, "disk digest differs", link.destination());
            MigrationDriver driver = source.migrate(link, MigrationOptions.defaults());
            MigrationState.Failed failed = assertInstanceOf(MigrationState.Failed.class, driver.await(Duration.ofSeconds(20)));
            assertEquals(Phase.HANDSHAKE, failed.phase());
            assertEquals("the destination refused the migration: section 'device' instance 0 v1 failed verification: "
                    + "disk digest differs", failed.reason());
            assertEquals(Phase.VERIFY, destination.failure().phase());
            assertRunningAndClean(source, 1);
        }
    }

    /** Tries to slip a malformed PROGRESS report past the source: the copy fails at once, naming it, and the VM runs on. */
    @Test
    void aMalformedProgressReportFailsTheCopyAndTheVmRunsOn() throws Exception {
        Link link = Link.open();
        try (Source source = new Source(4096, 1 << 20, true)) {
            MigrationDriver driver = source.migrate(link, MigrationOptions.defaults().withMaxBandwidth(1 << 20));
            try (FrameWriter replies = FrameWriter.unthrottled(link.destination(), StreamFormat.CONTROL_PAYLOAD)) {
                replies.writeFrame(FrameKind.ACK, 0, StreamFormat.REPORTS_PROGRESS.getBytes(java.nio.charset.StandardCharsets.UTF_8));
                replies.writeFrame(FrameKind.PROGRESS, 0, new byte[3]);
                MigrationState.Failed failed = assertInstanceOf(MigrationState.Failed.class, driver.await(Duration.ofSeconds(20)));
                assertEquals(Phase.ITERATE, failed.phase());
                assertTrue(failed.reason().endsWith("PROGRESS payload of 3 bytes, expected 16"), failed.reason());
                assertRunningAndClean(source, 0);
            }
        }
    }

    /**
     * Tries to lose the source's ABORT in a reset: the destination reads slowly, so the ABORT waits
     * in the source's send queue behind a full window, and a PROGRESS report lies unread in the
     * source's socket. Closing then resets the link and drops the ABORT; the source half-closes
     * instead and reads on, so the destination reads the source's reason and then a clean end.
     */
    @Test
    void aFailingSourceHangsUpSoItsAbortIsNotLostInAReset() throws Exception {
        Link link = Link.open();
        try (Source source = new Source(4096, 1 << 20, true)) {
            MigrationDriver driver = source.migrate(link, MigrationOptions.defaults());
            try (FrameWriter replies = FrameWriter.unthrottled(link.destination(), StreamFormat.CONTROL_PAYLOAD)) {
                replies.writeFrame(FrameKind.ACK, 0, StreamFormat.REPORTS_PROGRESS.getBytes(java.nio.charset.StandardCharsets.UTF_8));
                Thread.sleep(300); // unread, the stream fills both sockets' buffers
                replies.writeFrame(FrameKind.PROGRESS, 0, new byte[3]); // fails the source
                replies.writeFrame(FrameKind.PROGRESS, 0, new byte[16]); // left unread in the source's socket
                FrameReader stream = new FrameReader(slowly(link.destination()), StreamFormat.MAX_PAYLOAD);
                Frame frame;
                do {
                    frame = stream.next(Phase.ITERATE);
                } while (frame.kind() != FrameKind.ABORT);
                assertTrue(frame.text().endsWith("PROGRESS payload of 3 bytes, expected 16"), frame.text());
                assertEquals(-1, link.destination().read(ByteBuffer.allocate(1)), "the source half-closed after its ABORT");
                link.destination().close();
            }
            MigrationState.Failed failed = assertInstanceOf(MigrationState.Failed.class, driver.await(Duration.ofSeconds(20)));
            assertTrue(failed.reason().endsWith("expected 16"), failed.reason());
            assertRunningAndClean(source, 0);
        }
    }

    /** Reads at most 64 KiB a millisecond: a destination slower than the source. */
    private static java.nio.channels.ReadableByteChannel slowly(SocketChannel channel) {
        return new java.nio.channels.ReadableByteChannel() {
            @Override
            public int read(ByteBuffer dst) throws IOException {
                try {
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException();
                }
                ByteBuffer part = dst.slice().limit(Math.min(dst.remaining(), 64 << 10));
                int n = channel.read(part);
                dst.position(dst.position() + Math.max(n, 0));
                return n;
            }

            @Override
            public boolean isOpen() {
                return channel.isOpen();
            }

            @Override
            public void close() throws IOException {
                channel.close();
            }
        };
    }

    @Test
    void destinationVanishingMidStreamFailsTheSourceSafely() throws Exception {
        Link link = Link.open();
        try (Source source = new Source(4096, 1 << 20, true)) {
            MigrationDriver driver = source.migrate(link, MigrationOptions.defaults().withMaxBandwidth(8 << 20));
            try (FrameWriter replies = FrameWriter.unthrottled(link.destination(), StreamFormat.CONTROL_PAYLOAD)) {
                replies.writeFrame(FrameKind.ACK, 0, new byte[0]); // the configuration is accepted; then it vanishes
            }
            ByteBuffer sink = ByteBuffer.allocate(1 << 20);
            while (sink.hasRemaining()) {
                link.destination().read(sink);
            }
            link.destination().close();
            MigrationState.Failed failed = assertInstanceOf(MigrationState.Failed.class, driver.await(Duration.ofSeconds(20)));
            assertEquals(Phase.ITERATE, failed.phase());
            assertRunningAndClean(source, 0);
        }
    }

    @Test
    void bandwidthLimitHoldsAndCanBeLiftedWhileRunning() throws Exception {
        Link link = Link.open();
        try (Source source = new Source(2048, 0, true)) {
            Destination destination = new Destination(2048, null, link.destination());
            MigrationDriver driver = source.migrate(link, MigrationOptions.defaults().withMaxBandwidth(1 << 20));
            Thread.sleep(1000);
            long sent = driver.stats().transferredBytes();
            assertTrue(sent < (3 << 20) / 2, "1 MiB/s limit held for a second: " + sent + " bytes");
            driver.setMaxBandwidth(Long.MAX_VALUE);
            assertCopied(driver, Duration.ofSeconds(5), source, destination);
            assertEquals(Long.MAX_VALUE, driver.stats().maxBandwidth());
        }
    }

    /** The migration completes within {@code timeout} and the destination holds the source's memory. */
    private static void assertCopied(MigrationDriver driver, Duration timeout, Source source, Destination destination)
            throws Exception {
        assertInstanceOf(MigrationState.Completed.class, driver.await(timeout), () -> driver.state().toString());
        destination.result.get(5, TimeUnit.SECONDS);
        assertArrayEquals(source.ram.snapshot(), destination.ram.snapshot());
        DeviceSection.assertSameState(DeviceSection.sample(), destination.device.loaded());
    }

    /** The VM runs (paused {@code pauses} times and resumed as often), dirty tracking is off, cleanup said failure. */
    private static void assertRunningAndClean(Source source, int pauses) throws InterruptedException {
        assertFalse(source.vm.paused(), "the source VM runs on");
        assertEquals(pauses, source.vm.pauses());
        assertEquals(pauses, source.vm.resumes());
        assertEquals(List.of(false), source.ram.cleanups());
        assertFalse(source.ram.tracking(), "dirty tracking is off again");
        // Within seconds, not a fixed 100 ms: on a loaded host the writer thread can wait that long for a CPU.
        byte[] before = source.ram.snapshot();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        boolean wrote;
        do {
            Thread.sleep(20);
            wrote = !Arrays.equals(before, source.ram.snapshot());
        } while (!wrote && System.nanoTime() < deadline);
        assertTrue(wrote, "the guest keeps writing");
    }
}
