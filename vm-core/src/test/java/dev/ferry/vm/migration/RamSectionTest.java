package dev.ferry.vm.migration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.savevm.IncomingMigration;
import dev.ferry.savevm.IncomingResume;
import dev.ferry.savevm.MigrationChannel;
import dev.ferry.savevm.MigrationDriver;
import dev.ferry.savevm.MigrationException;
import dev.ferry.savevm.MigrationOptions;
import dev.ferry.savevm.MigrationState;
import dev.ferry.savevm.MigrationStats;
import dev.ferry.savevm.OutgoingResume;
import dev.ferry.savevm.Pausable;
import dev.ferry.savevm.SectionRegistry;
import dev.ferry.savevm.ConfigCheck;
import dev.ferry.vm.cpu.RunGate;
import dev.ferry.vm.cpu.VcpuThrottle;
import dev.ferry.vm.memory.GuestRam;
import dev.ferry.vm.memory.RamLayout;
import dev.ferry.vm.memory.RamRegion;
import dev.ferry.vm.state.MachineConfig;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The RAM section over savevm's real driver and destination, through java.nio pipes, with the
 * VMM writing guest memory the way devices do (DMA through GuestMemory, tracked in the DMA bitmap)
 * while the migration runs. KVM's dirty log is the other half of a machine's tracker; the machine
 * tests cover it on a host with /dev/kvm.
 */
class RamSectionTest {

    private static final long LOW = 24L << 20;
    private static final long HIGH = 8L << 20;

    private final Arena arena = Arena.ofShared();
    private final VcpuThrottle throttle = new VcpuThrottle(new RunGate());

    @AfterEach
    void close() {
        throttle.close();
        arena.close();
    }

    /** Two regions, below and above the 4 GiB line, like a machine's. */
    private GuestRam ram() {
        return new GuestRam(List.of(new RamRegion(0, 0, arena.allocate(LOW, 4096)),
                new RamRegion(1, 1L << 32, arena.allocate(HIGH, 4096))), () -> { });
    }

    /** Writes random pages through GuestMemory until paused; the "guest" of this test. */
    private static final class DmaWriter implements Pausable {
        private final GuestRam ram;
        private final Random random = new Random(42);
        private final MemorySegment page = Arena.ofAuto().allocate(4096);
        private final AtomicLong writes = new AtomicLong();
        private final Thread thread;
        private volatile boolean paused;
        private volatile boolean stop;
        private volatile boolean idle;

        DmaWriter(GuestRam ram) {
            this.ram = ram;
            this.thread = Thread.ofPlatform().daemon().start(this::run);
        }

        private void run() {
            while (!stop) {
                if (paused) {
                    idle = true;
                    Thread.onSpinWait();
                    continue;
                }
                idle = false;
                if (paused) {
                    continue;
                }
                RamRegion region = ram.regions().get(random.nextInt(2));
                long gpa = region.gpa() + random.nextLong(region.pages()) * 4096;
                page.fill((byte) random.nextInt(1, 256));
                page.set(ValueLayout.JAVA_LONG, 0, writes.incrementAndGet());
                ram.write(gpa, page);
                if (writes.get() % 4 == 0) {
                    sleep(1); // about 8 MB/s of page writes
                }
            }
        }

        @Override
        public void pause() {
            paused = true;
            while (!idle) {
                Thread.onSpinWait();
            }
        }

        @Override
        public void resume() {
            paused = false;
        }

        void stop() throws InterruptedException {
            stop = true;
            thread.join();
        }

        private static void sleep(long millis) {
            try {
                TimeUnit.MILLISECONDS.sleep(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** A filled source RAM and a fresh destination RAM, each with its section. */
    private record Sides(GuestRam source, GuestRam destination, RamSection sending, RamSection receiving) {
    }

    private Sides sides() {
        GuestRam source = ram();
        GuestRam destination = ram();
        fillSome(source);
        return new Sides(source, destination, new RamSection(source, source.vmmWritesTracker(), throttle),
                new RamSection(destination, destination.vmmWritesTracker(), throttle));
    }

    private static void fillSome(GuestRam ram) {
        Random random = new Random(1);
        for (RamRegion region : ram.regions()) {
            for (long page = 0; page < region.pages(); page++) {
                if (page % 3 != 0) {
                    region.host().asSlice(page * 4096, 4096).fill((byte) random.nextInt(1, 256));
                }
            }
        }
    }

    @Test
    void migratesRamWhileTheVmmKeepsWritingAndEndsWithIdenticalMemory() throws Exception {
        GuestRam source = ram();
        GuestRam destination = ram();
        fillSome(source);
        DmaWriter writer = new DmaWriter(source);
        Moved moved = move(source, destination, writer, MigrationOptions.defaults().withDowntimeLimit(Duration.ofMillis(20)));
        writer.stop();
        MigrationState end = moved.end();

        assertInstanceOf(MigrationState.Completed.class, end, () -> "migration ended " + end);
        assertTrue(writer.writes.get() > 0, "the VMM wrote during the migration");
        assertSameRam(source, destination);
        RamStats stats = moved.sending().stats();
        long pages = (LOW + HIGH) / 4096;
        assertEquals(pages, stats.totalPages());
        assertEquals(0, stats.bulkPagesLeft());
        assertEquals(0, stats.dirtyPages());
        assertTrue(stats.zeroPages() >= pages / 3 - writer.writes.get(), "zero pages sent as markers: " + stats);
        assertTrue(stats.dataPages() >= pages * 2 / 3, "every written page sent: " + stats);
        assertTrue(stats.harvests() >= 2, "dirty pages harvested before the pause and at the switch: " + stats);
        assertFalse(source.trackingDma(), "dirty tracking is off after the migration");
    }

    /**
     * RAM as a machine maps it (a memfd, allocated page by page as it is touched): the pages never
     * touched go as zero without being read, so the copy leaves them unallocated; a page written
     * with zeros is read like any other; and a page first written after the bulk pass found it
     * untouched (here: as the VM pauses) still arrives, through the dirty tracking.
     */
    @Test
    void untouchedPagesGoAsZeroWithoutBeingReadAndALaterFirstWriteStillArrives() throws Exception {
        RamLayout layout = new RamLayout(List.of(new RamLayout.Range(0, LOW), new RamLayout.Range(1L << 32, HIGH)));
        try (GuestRam source = GuestRam.allocate(layout, false); GuestRam destination = GuestRam.allocate(layout, false)) {
            long touched = 0;
            long zeroWritten = 0;
            for (RamRegion region : source.regions()) {
                for (long page = 0; page < region.pages(); page++) {
                    if (page % 3 != 0) { // every third page untouched, a quarter of the others written as zero
                        boolean zero = page % 6 == 1;
                        region.host().asSlice(page * 4096, 4096).fill(zero ? 0 : (byte) (page | 1));
                        touched++;
                        zeroWritten += zero ? 1 : 0;
                    }
                }
            }
            long pages = (LOW + HIGH) / 4096;
            long lateGpa = (1L << 32) + HIGH - 2 * 4096; // page 2046 of the last region: untouched
            MemorySegment late = Arena.ofAuto().allocate(4096).fill((byte) 0x5a);
            Pausable firstWriteAtThePause = new Pausable() {
                @Override
                public void pause() {
                    source.write(lateGpa, late);
                }

                @Override
                public void resume() {
                }
            };
            assertEquals(pages - touched, untouchedPages(source), "the test's own writes left a third untouched");
            Moved moved = move(source, destination, firstWriteAtThePause, MigrationOptions.defaults());
            MigrationState end = moved.end();

            assertInstanceOf(MigrationState.Completed.class, end, () -> "migration ended " + end);
            assertEquals(pages - touched - 1, untouchedPages(source), "the copy read no untouched page"); // before the comparison reads them
            assertSameRam(source, destination);
            assertEquals((byte) 0x5a, destination.slice(lateGpa, 1).get(ValueLayout.JAVA_BYTE, 0), "the late first write arrived");
            RamStats stats = moved.sending().stats();
            assertEquals(pages - touched + zeroWritten, stats.zeroPages(), "untouched and zero-written pages went as zero: " + stats);
            assertEquals(touched - zeroWritten + 1, stats.dataPages(), "the data pages and the late one: " + stats);
        }
    }

    /**
     * The destination writes data pages through its memfd and zeroes pages through its mapping:
     * pages sent in the bulk pass and sent again at the pause, once zeroed and once rewritten, read
     * through the mapping as the source's.
     */
    @Test
    void pagesLoadedThroughTheMemfdAndSentAgainEndAsTheSources() throws Exception {
        RamLayout layout = new RamLayout(List.of(new RamLayout.Range(0, LOW), new RamLayout.Range(1L << 32, HIGH)));
        try (GuestRam source = GuestRam.allocate(layout, false); GuestRam destination = GuestRam.allocate(layout, false)) {
            fillSome(source);
            MemorySegment zero = Arena.ofAuto().allocate(4096);
            MemorySegment other = Arena.ofAuto().allocate(4096).fill((byte) 0x3c);
            long zeroed = 4 * 4096; // pages 4 and 5 of the low region: filled by fillSome
            long rewritten = (1L << 32) + 7 * 4096;
            Pausable changeAtThePause = new Pausable() {
                @Override
                public void pause() {
                    source.write(zeroed, zero);
                    source.write(zeroed + 4096, zero);
                    source.write(rewritten, other);
                }

                @Override
                public void resume() {
                }
            };
            MigrationState end = move(source, destination, changeAtThePause, MigrationOptions.defaults()).end();

            assertInstanceOf(MigrationState.Completed.class, end, () -> "migration ended " + end);
            assertSameRam(source, destination);
            assertEquals(-1, destination.slice(zeroed, 2 * 4096).mismatch(Arena.ofAuto().allocate(2 * 4096)), "zeroed at the pause");
            assertEquals(-1, destination.slice(rewritten, 4096).mismatch(other), "rewritten at the pause");
        }
    }

    /** The source's section after {@link #move}, and how its migration ended. */
    private record Moved(RamSection sending, MigrationState end) {
    }

    /** Migrates {@code source} into {@code destination} over pipes, {@code vm} paused at the switch; waits for both ends. */
    private Moved move(GuestRam source, GuestRam destination, Pausable vm, MigrationOptions options) throws Exception {
        RamSection sending = new RamSection(source, source.vmmWritesTracker(), throttle);
        RamSection receiving = new RamSection(destination, destination.vmmWritesTracker(), throttle);
        MachineConfig config = new MachineConfig(source.size(), 1, false, false, List.of(), Optional.empty());
        Pipe stream = Pipe.open();
        Pipe back = Pipe.open();
        CompletableFuture<Void> incoming = CompletableFuture.runAsync(() -> {
            try {
                IncomingMigration.receive(new SectionRegistry().register(receiving), MachineConfig.class,
                        ConfigCheck.sameAs(config), MigrationChannel.of(stream.source(), back.sink()));
            } catch (MigrationException e) {
                throw new IllegalStateException(e);
            }
        });
        MigrationState end = MigrationDriver.start(new SectionRegistry().register(sending), vm, config,
                MigrationChannel.of(back.source(), stream.sink()), options).await(Duration.ofSeconds(60));
        incoming.get(10, TimeUnit.SECONDS);
        return new Moved(sending, end);
    }

    /** Every region of {@code destination} holds the bytes of {@code source}'s. */
    private static void assertSameRam(GuestRam source, GuestRam destination) {
        for (int i = 0; i < source.regions().size(); i++) {
            MemorySegment a = source.regions().get(i).host();
            MemorySegment b = destination.regions().get(i).host();
            assertEquals(-1, a.mismatch(b), "region " + i + " differs at byte " + a.mismatch(b));
        }
    }

    private static long untouchedPages(GuestRam ram) {
        long untouched = 0;
        for (RamRegion region : ram.regions()) {
            long page = region.untouched().nextUntouched(0);
            while (page < region.pages()) {
                long next = Math.min(region.untouched().nextTouched(page), region.pages());
                untouched += next - page;
                page = next < region.pages() ? region.untouched().nextUntouched(next) : next;
            }
        }
        return untouched;
    }

    @Test
    void destinationRefusesADifferentRamLayout() throws Exception {
        GuestRam source = ram();
        GuestRam smaller = new GuestRam(List.of(new RamRegion(0, 0, arena.allocate(LOW, 4096))), () -> { });
        RamSection sending = new RamSection(source, source.vmmWritesTracker(), throttle);
        RamSection receiving = new RamSection(smaller, smaller.vmmWritesTracker(), throttle);
        MachineConfig config = new MachineConfig(LOW + HIGH, 1, false, false, List.of(), Optional.empty());

        Pipe stream = Pipe.open();
        Pipe back = Pipe.open();
        CompletableFuture<MigrationException> incoming = CompletableFuture.supplyAsync(() -> assertThrows(
                MigrationException.class, () -> IncomingMigration.receive(new SectionRegistry().register(receiving),
                        MachineConfig.class, ConfigCheck.sameAs(config), MigrationChannel.of(stream.source(), back.sink()))));
        DmaWriter writer = new DmaWriter(source);
        MigrationDriver driver = MigrationDriver.start(new SectionRegistry().register(sending), writer, config,
                MigrationChannel.of(back.source(), stream.sink()), MigrationOptions.defaults());
        MigrationState end = driver.await(Duration.ofSeconds(30));
        writer.stop();

        MigrationException refused = incoming.get(10, TimeUnit.SECONDS);
        assertTrue(refused.getMessage().contains("RAM layout differs"), refused.getMessage());
        assertInstanceOf(MigrationState.Failed.class, end);
        assertFalse(source.trackingDma(), "dirty tracking is off after a failed migration");
        assertFalse(writer.paused, "the source runs on after a failed migration");
    }

    @Test
    void aCancelledAttemptLeavesNoDirtyPagesOrCountsToTheNext() throws Exception {
        GuestRam source = ram();
        fillSome(source);
        RamSection sending = new RamSection(source, source.vmmWritesTracker(), throttle);
        MachineConfig config = new MachineConfig(LOW + HIGH, 1, false, false, List.of(), Optional.empty());
        DmaWriter writer = new DmaWriter(source);
        MigrationDriver cancelled = migrate(sending, writer, config, MigrationOptions.defaults().withMaxBandwidth(4L << 20));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (sending.stats().dataPages() < 256 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        sending.exactPendingBytes(); // a harvest: pages the writer dirtied are now the section's
        cancelled.cancel();
        assertInstanceOf(MigrationState.Cancelled.class, cancelled.await(Duration.ofSeconds(30)));
        writer.stop();
        assertEquals(0, sending.stats().dirtyPages(), "a cancelled attempt's dirty pages are dropped");

        // Nothing writes now: the next attempt sends every page exactly once, and counts only that.
        MigrationDriver next = migrate(sending, Pausable.NOTHING_TO_PAUSE, config, MigrationOptions.defaults());
        assertInstanceOf(MigrationState.Completed.class, next.await(Duration.ofSeconds(60)));
        RamStats stats = sending.stats();
        assertEquals(stats.totalPages(), stats.dataPages() + stats.zeroPages(), "counts of this attempt only: " + stats);
    }

    /** Starts a migration of {@code sending} into fresh RAM received on another thread. */
    private MigrationDriver migrate(RamSection sending, Pausable vm, MachineConfig config, MigrationOptions options)
            throws IOException {
        GuestRam destination = ram();
        RamSection receiving = new RamSection(destination, destination.vmmWritesTracker(), throttle);
        Pipe stream = Pipe.open();
        Pipe back = Pipe.open();
        CompletableFuture.runAsync(() -> {
            try {
                IncomingMigration.receive(new SectionRegistry().register(receiving), MachineConfig.class,
                        ConfigCheck.sameAs(config), MigrationChannel.of(stream.source(), back.sink()));
            } catch (MigrationException e) {
                // the cancelled attempt ends here
            }
        });
        return MigrationDriver.start(new SectionRegistry().register(sending), vm, config,
                MigrationChannel.of(back.source(), stream.sink()), options);
    }

    /**
     * The link breaks while RAM is being copied and the VMM keeps writing: the source pauses with
     * tracking on, the destination keeps what it loaded and waits; on a new link the source sends
     * every page again and both memories end identical.
     */
    @Test
    void aResumedLinkSendsAllOfRamAgainAndEndsWithIdenticalMemory() throws Exception {
        Sides sides = sides();
        GuestRam source = sides.source();
        GuestRam destination = sides.destination();
        RamSection sending = sides.sending();
        RamSection receiving = sides.receiving();
        DmaWriter writer = new DmaWriter(source);
        try (Resumable run = new Resumable(sending, receiving, writer, payload -> {
            sending.checkResume(payload);
            sending.resendAll();
        })) {
            RamStats before = run.cutAfter(2048);
            assertFalse(writer.paused, "the VM runs on while the migration is paused");
            run.resume();
            MigrationState end = run.driver.await(Duration.ofSeconds(60));
            writer.stop();
            assertInstanceOf(MigrationState.Completed.class, end, () -> "migration ended " + end);
            run.incoming.get(10, TimeUnit.SECONDS);
            RamStats after = sending.stats();
            long resent = after.dataPages() + after.zeroPages() - before.dataPages() - before.zeroPages();
            assertTrue(resent >= after.totalPages(), "every page sent again after the resume: " + resent + " of " + after.totalPages());
            assertSameRam(source, destination);
        }
    }

    /**
     * A source that resumes without sending RAM again (it goes on from where its passes were, as a
     * disks-only resumer would) is refused by the destination before the VM could start: a page lost
     * in flight would go unnoticed otherwise.
     */
    @Test
    void aResumeThatDoesNotSendRamAgainIsRefused() throws Exception {
        Sides sides = sides();
        RamSection sending = sides.sending();
        RamSection receiving = sides.receiving();
        try (Resumable run = new Resumable(sending, receiving, Pausable.NOTHING_TO_PAUSE, sending::checkResume)) {
            run.cutAfter(2048);
            run.resume();
            assertInstanceOf(MigrationState.Failed.class, run.driver.await(Duration.ofSeconds(60)));
            ExecutionException refused = assertThrows(ExecutionException.class,
                    () -> run.incoming.get(10, TimeUnit.SECONDS));
            assertTrue(refused.getCause().getMessage().matches(".*section 'ram'.* failed verification: [0-9]+ of "
                    + (LOW + HIGH) / 4096 + " RAM pages were not sent again after the resume"), refused.getCause().getMessage());
        }
    }

    /**
     * A destination whose resume is not possible for this migration (without a storage copy, the
     * monitor's) does not offer to wait: a break fails both sides, as without resume.
     */
    @Test
    void aDestinationThatCannotResumeDoesNotWait() throws Exception {
        Sides sides = sides();
        RamSection sending = sides.sending();
        RamSection receiving = sides.receiving();
        try (Resumable run = new Resumable(sending, receiving, Pausable.NOTHING_TO_PAUSE, sending::checkResume, false,
                MigrationOptions.defaults().withMaxBandwidth(16L << 20))) {
            run.cut(2048);
            assertInstanceOf(MigrationState.Failed.class, run.driver.await(Duration.ofSeconds(30)));
            ExecutionException failed = assertThrows(ExecutionException.class, () -> run.incoming.get(10, TimeUnit.SECONDS));
            String reason = failed.getCause().getMessage();
            assertTrue(reason.contains("stream ended") || reason.contains("stream truncated"), reason); // the cut, not a wait
        }
    }

    /**
     * A guest throttled because its writes outran a slow link runs free while that link is down
     * (nothing is copied then), and is throttled as before once the copy resumes.
     */
    @Test
    void theThrottleIsLiftedWhilePrecopyPausedAndBackAfterTheResume() throws Exception {
        Sides sides = sides();
        RamSection sending = sides.sending();
        DmaWriter writer = new DmaWriter(sides.source());
        // 4 MiB/s: the bulk pass takes 8 s, then the writer's ~8 MB/s of pages outruns the link.
        MigrationOptions slow = MigrationOptions.defaults().withMaxBandwidth(4L << 20)
                .withStallWindow(Duration.ofMillis(100), 0);
        try (Resumable run = new Resumable(sending, sides.receiving(), writer, payload -> {
            sending.checkResume(payload);
            sending.resendAll();
        }, true, slow)) {
            awaitThrottle(sending, run.driver, "before the break");
            run.cutNow();
            assertEquals(0, sending.stats().throttlePercent(), "throttled while precopy-paused");
            MigrationStats paused = run.driver.stats();
            assertEquals(0, paused.throttleLevel());
            assertTrue(paused.throttleReason().startsWith("lifted while precopy-paused; level "), paused.throttleReason());
            run.resume();
            awaitThrottle(sending, run.driver, "after the resume");
            run.driver.setMaxBandwidth(Long.MAX_VALUE); // the writer's pages now fit the link
            MigrationState end = run.driver.await(Duration.ofSeconds(60));
            writer.stop();
            assertInstanceOf(MigrationState.Completed.class, end, () -> "migration ended " + end);
        }
    }

    private static void awaitThrottle(RamSection sending, MigrationDriver driver, String when) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (sending.stats().throttlePercent() == 0) {
            assertTrue(System.nanoTime() < deadline, "the guest was never throttled " + when + ": " + driver.stats());
            Thread.sleep(1);
        }
    }

    /** The RAM part of a RESUME payload: cut short, or naming other RAM, is refused in one line; the right one passes. */
    @Test
    void theRamPartOfAResumeIsChecked() throws Exception {
        RamSection sending = new RamSection(ram(), ram().vmmWritesTracker(), throttle);
        byte[] held = new RamSection(ram(), ram().vmmWritesTracker(), throttle).resumeHeld();
        sending.checkResume(ByteBuffer.wrap(held));
        MigrationException cut = assertThrows(MigrationException.class,
                () -> sending.checkResume(ByteBuffer.wrap(Arrays.copyOf(held, held.length - 1))));
        assertTrue(cut.getMessage().endsWith("RESUME refused: the RAM part is truncated"), cut.getMessage());
        GuestRam smaller = new GuestRam(List.of(new RamRegion(0, 0, arena.allocate(LOW, 4096))), () -> { });
        byte[] other = new RamSection(smaller, smaller.vmmWritesTracker(), throttle).resumeHeld();
        MigrationException lie = assertThrows(MigrationException.class, () -> sending.checkResume(ByteBuffer.wrap(other)));
        assertTrue(lie.getMessage().contains("RESUME refused: the destination's RAM is [Range[gpa=0, size=" + LOW + "]]"), lie.getMessage());
        byte[] noRanges = new byte[Integer.BYTES];
        MigrationException empty = assertThrows(MigrationException.class, () -> sending.checkResume(ByteBuffer.wrap(noRanges)));
        assertTrue(empty.getMessage().endsWith("RESUME refused: RAM layout with 0 ranges"), empty.getMessage());
    }

    /**
     * A RAM migration over links the test can break: the stream passes a relay whose cut the source
     * sees as a broken pipe and the destination as a stream cut short; the destination waits for
     * the next link with what it loaded, the source with {@code resumer}.
     */
    private final class Resumable implements AutoCloseable {
        private final RamSection sending;
        private final BlockingQueue<MigrationChannel> destinationLinks =
                new LinkedBlockingQueue<>();
        private final MigrationDriver driver;
        private final CompletableFuture<Void> incoming;
        private Relay relay;

        Resumable(RamSection sending, RamSection receiving, Pausable vm, OutgoingResume resumer) throws IOException {
            this(sending, receiving, vm, resumer, true, MigrationOptions.defaults().withMaxBandwidth(16L << 20));
        }

        Resumable(RamSection sending, RamSection receiving, Pausable vm, OutgoingResume resumer, boolean possible,
                  MigrationOptions options) throws IOException {
            this.sending = sending;
            MachineConfig config = new MachineConfig(LOW + HIGH, 1, false, false, List.of(), Optional.empty());
            MigrationChannel first = link();
            IncomingResume waiting = new IncomingResume() {
                @Override
                public boolean possible() {
                    return possible;
                }

                @Override
                public byte[] held() {
                    return receiving.resumeHeld();
                }

                @Override
                public MigrationChannel reconnect(String reason) throws IOException {
                    try {
                        return destinationLinks.take();
                    } catch (InterruptedException e) {
                        throw new InterruptedIOException("no next link");
                    }
                }
            };
            MigrationChannel firstDestination = destinationLinks.remove();
            incoming = CompletableFuture.runAsync(() -> {
                try {
                    IncomingMigration.receive(new SectionRegistry().register(receiving), MachineConfig.class,
                            ConfigCheck.sameAs(config), firstDestination, Optional.of(waiting));
                } catch (MigrationException e) {
                    throw new CompletionException(e);
                }
            }, task -> Thread.ofPlatform().daemon().start(task));
            driver = MigrationDriver.start(new SectionRegistry().register(sending), vm, () -> config, first,
                    options, Optional.of(resumer), state -> { });
        }

        /** A new link: the source's end returned, the destination's queued for its reconnect. */
        private MigrationChannel link() throws IOException {
            relay = new Relay();
            destinationLinks.add(MigrationChannel.of(relay.toDestination.source(), relay.back.sink()));
            return MigrationChannel.of(relay.back.source(), relay.fromSource.sink());
        }

        /** Breaks the link once {@code pages} data pages were sent. */
        void cut(long pages) throws Exception {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (sending.stats().dataPages() < pages) {
                assertTrue(System.nanoTime() < deadline, "the copy never sent " + pages + " pages");
                Thread.sleep(1);
            }
            relay.cut();
        }

        /** Breaks the link once {@code pages} data pages were sent; waits for the pause; the source's figures then. */
        RamStats cutAfter(long pages) throws Exception {
            cut(pages);
            return awaitPaused();
        }

        /** Breaks the link now; waits for the pause; the source's figures then. */
        RamStats cutNow() throws Exception {
            relay.cut();
            return awaitPaused();
        }

        private RamStats awaitPaused() throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            // The published figures, not only the state: the driver sets its state just before it
            // publishes the figures that go with it.
            while (!(driver.stats().state() instanceof MigrationState.PrecopyPaused)) {
                assertTrue(System.nanoTime() < deadline, "the source never paused: " + driver.state());
                Thread.sleep(1);
            }
            return sending.stats();
        }

        void resume() throws IOException {
            driver.resume(link());
        }

        @Override
        public void close() {
            if (!driver.state().isFinal()) {
                driver.cancel();
            }
        }
    }

    /** One link: the source's stream through a relay thread to the destination, the return path direct. */
    private static final class Relay {
        final Pipe fromSource = Pipe.open();
        final Pipe toDestination = Pipe.open();
        final Pipe back = Pipe.open();

        Relay() throws IOException {
            Thread.ofPlatform().daemon().start(this::pump);
        }

        private void pump() {
            ByteBuffer buffer = ByteBuffer.allocate(64 << 10);
            try {
                while (fromSource.source().read(buffer) >= 0) {
                    buffer.flip();
                    while (buffer.hasRemaining()) {
                        toDestination.sink().write(buffer);
                    }
                    buffer.clear();
                }
            } catch (IOException e) {
                // cut
            }
        }

        /** The source's writes fail (broken pipe); the destination reads what passed, then a stream cut short. */
        void cut() throws IOException {
            fromSource.source().close();
            toDestination.sink().close();
        }
    }

    @Test
    void notConvergingThrottlesMoreAtEachLevelAndCleanupLetsGo() {
        GuestRam source = ram();
        RamSection section = new RamSection(source, source.vmmWritesTracker(), throttle);
        section.notConverging(1);
        assertEquals(20, section.stats().throttlePercent());
        section.notConverging(3);
        assertEquals(40, section.stats().throttlePercent());
        section.cleanup(false);
        assertEquals(0, section.stats().throttlePercent());
    }
}
