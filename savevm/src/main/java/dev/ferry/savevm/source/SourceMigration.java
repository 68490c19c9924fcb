package dev.ferry.savevm.source;

import dev.ferry.savevm.ConfigSource;
import dev.ferry.savevm.FrameChecksumMode;
import dev.ferry.savevm.FrameChecksumWarmUp;
import dev.ferry.savevm.FrameKind;
import dev.ferry.savevm.LiveSection;
import dev.ferry.savevm.MigrationChannel;
import dev.ferry.savevm.MigrationException;
import dev.ferry.savevm.MigrationOptions;
import dev.ferry.savevm.MigrationState;
import dev.ferry.savevm.MigrationStats;
import dev.ferry.savevm.OutgoingResume;
import dev.ferry.savevm.Pausable;
import dev.ferry.savevm.Phase;
import dev.ferry.savevm.SectionId;
import dev.ferry.savevm.SectionStats;
import dev.ferry.savevm.StateSection;
import dev.ferry.savevm.codec.StateCodec;
import dev.ferry.savevm.stream.ChecksumChoice;
import dev.ferry.savevm.stream.DowntimeLog;
import dev.ferry.savevm.stream.Frame;
import dev.ferry.savevm.stream.FrameChecksum;
import dev.ferry.savevm.stream.FrameOutput;
import dev.ferry.savevm.stream.FrameReader;
import dev.ferry.savevm.stream.FrameWriter;
import dev.ferry.savevm.stream.HangUp;
import dev.ferry.savevm.stream.LinkBrokenException;
import dev.ferry.savevm.stream.SectionDescriptor;
import dev.ferry.savevm.stream.StreamFormat;
import dev.ferry.savevm.stream.ThroughputMeter;
import dev.ferry.savevm.stream.TokenBucket;
import dev.ferry.savevm.stream.Watchdog;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One source migration, run on its own thread: header and config, live setup, iterations until
 * the pending bytes fit the downtime limit at the measured bandwidth and stop shrinking
 * ({@link SwitchPoint}), pause, END and FULL frames,
 * EOF, acknowledgement. Any failure or cancel before the acknowledgement sends ABORT (if the
 * channel still works), resumes the VM if it was paused, and cleans every section up with
 * {@code succeeded = false}. With an {@link OutgoingResume}, a link that breaks while the live
 * sections are being copied pauses the migration instead ({@link MigrationState.PrecopyPaused}):
 * the VM runs on, the sections keep tracking, and {@link #resume} continues on a new link after
 * the destination said what it holds ({@link Relink}). Fields without volatile belong to the
 * migration thread.
 */
public final class SourceMigration implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(SourceMigration.class);
    private static final Duration CANCEL_GRACE = Duration.ofMillis(500);
    private static final Duration ABORT_GRACE = Duration.ofSeconds(2);
    /**
     * How long the destination may take to check the configuration: it may hash gigabytes of
     * backing files (4 GiB took 90 s on a loaded 2-core machine). The VM runs meanwhile, and
     * migrate_cancel ends the wait at once.
     */
    private static final Duration CONFIG_ANSWER_TIMEOUT = Duration.ofMinutes(10);
    private static final long MIN_BUDGET = 64 << 10;
    private static final long MAX_BUDGET = 64 << 20;
    /**
     * What the destination may still have in hand (in flight, not yet read back or flushed) and
     * count as caught up: a couple of milliseconds of its work, which the reports' own period
     * (2 ms) keeps in view anyway.
     */
    static final long CAUGHT_UP_BYTES = 256 << 10;
    /** How long one check waits for the state sections' rehearsal before the copy goes on. */
    private static final long REHEARSAL_WAIT_MILLIS = 100;

    private final List<LiveSection> live;
    private final List<StateSection<?>> states;
    private final Pausable vm;
    private final ConfigSource config;
    /** The current link: replaced when a paused migration resumes. */
    private volatile MigrationChannel channel;
    private final Optional<OutgoingResume> resumer;
    private final ResumeGate gate = new ResumeGate();
    private final MigrationOptions options;
    private final TokenBucket bucket;
    private final ThroughputMeter meter = new ThroughputMeter();
    private final PipelineRate pipeline = new PipelineRate();
    private final SwitchPoint switchPoint = new SwitchPoint();
    private final CountDownLatch done = new CountDownLatch(1);
    private final long[] pending;
    private final FrameOutput[] outputs;
    private final Convergence convergence;
    /** Told of each state entered, in order, on the migration thread (Setup on the starting thread). */
    private final Consumer<MigrationState> listener;

    private volatile long maxBandwidth;
    private volatile Duration downtimeLimit;
    private volatile boolean cancelRequested;
    private volatile boolean aborting;
    private volatile MigrationState state = new MigrationState.Setup();
    private volatile MigrationStats stats;
    private volatile Thread thread;

    /** Volatile: the return path's reader names it in its errors. */
    private volatile Phase phase = Phase.SETUP;
    private FrameWriter writer;
    /** The destination's replies on the return path, one reader for its whole sequence. */
    private FrameReader replies;
    /** Reads the return path once the copy runs, with a destination that reports its progress. */
    private ReturnPathReader returnReader;
    /** The destination said it sends PROGRESS reports (on every link of this migration). */
    private boolean reportsProgress;
    /** Since when the rest fits but the destination is behind, or -1. */
    private long drainSince = -1;
    /** The destination answered with NACK (or the return path failed while we waited for it). */
    private boolean replyFailed;
    /** Warms the state sections' save paths from the start; the pause waits for it. */
    private StateWarmUp warmUp;
    private long rehearsalWaitNanos;
    private int setUp;
    private boolean paused;
    private final long startNanos = System.nanoTime();
    private long setupNanos = -1;
    private long endNanos = -1;
    private long pausedAt;
    private Instant pausedWhen;
    private Duration actualDowntime;
    private String downtimeNote = "";
    /** The sections' timings inside the pause, logged after it (and on a failure). */
    private final DowntimeLog downtimeLog = new DowntimeLog(LOG);
    /** What frames after the configuration's ACK are sealed with, on this link and any resumed one. */
    private FrameChecksum frameChecksum = FrameChecksum.CRC32C;
    private String frameChecksumNote = "CRC32C (no offer from the destination yet)";
    private Duration expectedDowntime = Duration.ZERO;
    private int iterations;

    public SourceMigration(List<LiveSection> live, List<StateSection<?>> states, Pausable vm, ConfigSource config,
                           MigrationChannel channel, MigrationOptions options, Optional<OutgoingResume> resumer,
                           Consumer<MigrationState> listener) {
        this.live = List.copyOf(live);
        this.states = List.copyOf(states);
        this.vm = vm;
        this.config = config;
        this.channel = channel;
        this.options = options;
        this.resumer = resumer;
        this.maxBandwidth = options.maxBandwidth();
        this.downtimeLimit = options.downtimeLimit();
        this.bucket = new TokenBucket(options.maxBandwidth());
        this.pending = new long[live.size()];
        this.outputs = new FrameOutput[live.size()];
        this.convergence = new Convergence(options.stallWindow(), options.maxStallWindows());
        this.listener = listener;
        publish();
        listener.accept(state);
    }

    public MigrationState state() {
        return state;
    }

    public MigrationStats stats() {
        return stats;
    }

    public void setMaxBandwidth(long bytesPerSecond) {
        bucket.setRate(bytesPerSecond);
        maxBandwidth = bytesPerSecond;
    }

    public void setDowntimeLimit(Duration limit) {
        if (limit.isNegative()) {
            throw new IllegalArgumentException("downtime limit must not be negative, got " + limit);
        }
        downtimeLimit = limit;
    }

    /** Asks the migration to stop; closes the channel if the thread does not notice in time. */
    public void cancel() {
        cancelRequested = true;
        Thread running = thread;
        if (running != null) {
            LockSupport.unpark(running);
        }
        Thread.ofVirtual().name("savevm-cancel").start(() -> {
            try {
                if (!done.await(CANCEL_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                    closeChannel();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    /**
     * Continues a paused migration on {@code link} (connected, with a return path).
     *
     * @throws IllegalStateException unless the migration is paused with no other resume under way
     */
    public void resume(MigrationChannel link) {
        if (!(state instanceof MigrationState.PrecopyPaused)) {
            throw new IllegalStateException("the migration is " + state.status() + ", not precopy-paused: nothing to resume");
        }
        if (link.readable().isEmpty()) {
            throw new IllegalArgumentException("resuming needs a return path (tcp, unix or fd), the destination speaks first");
        }
        if (!gate.offer(link)) {
            throw new IllegalStateException("a resume is already under way");
        }
    }

    /** Waits up to {@code timeout} for the end; returns the state then. */
    public MigrationState await(Duration timeout) throws InterruptedException {
        done.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
        return state;
    }

    @Override
    public void run() {
        thread = Thread.currentThread();
        try {
            connect(channel);
            try {
                migrate();
                end(new MigrationState.Completed());
            } catch (Exception | LinkageError | AssertionError e) {
                fail(e);
            }
        } finally {
            writer.close();
            gate.closeLeftover();
            closeChannel();
            if (returnReader != null) {
                returnReader.join();
            }
            if (replies != null) {
                replies.close();
            }
            done.countDown();
        }
    }

    /** Writes to {@code link} from now on: a new writer, and a new output per live section. */
    private void connect(MigrationChannel link) {
        if (writer != null) {
            writer.close();
        }
        channel = link;
        writer = new FrameWriter(link.writable().orElseThrow(), StreamFormat.WRITER_PAYLOAD, bucket, meter, this::checkCancel);
        writer.sealWith(frameChecksum);
        for (int i = 0; i < live.size(); i++) {
            outputs[i] = new FrameOutput(writer, i + 1, live.get(i).id());
        }
    }

    private void migrate() throws IOException {
        FrameChecksumWarmUp.streamBegins();
        writer.writeFrame(FrameKind.HEADER, 0, headerPayload());
        writer.writeFrame(FrameKind.CONFIG, 0, StateCodec.encode(config.config()));
        long configSent = System.nanoTime();
        // Once the config is out: on a machine with one CPU the rehearsal would delay it, and the
        // destination's check, which the source only waits for, is the first step it can overlap.
        warmUp = StateWarmUp.start(states);
        // The destination checks every drive against the config before any data moves; nothing
        // is copied, and the VM never pauses, until it said yes.
        Optional<ReadableByteChannel> returnPath = channel.readable();
        boolean destinationWaits = false;
        if (returnPath.isPresent()) {
            String answer = awaitReply(returnPath.get(), "configuration", CONFIG_ANSWER_TIMEOUT);
            destinationWaits = StreamFormat.offers(answer, StreamFormat.WAITS_FOR_RESUME);
            reportsProgress = StreamFormat.offers(answer, StreamFormat.REPORTS_PROGRESS);
            chooseChecksum(StreamFormat.offers(answer, StreamFormat.ACCEPTS_XXH3));
            startReturnReader(0);
        } else {
            frameChecksumNote = "CRC32C (no return path: the destination cannot offer another)";
        }
        long configAnswered = System.nanoTime();
        for (int i = 0; i < live.size(); i++) {
            checkCancel();
            setUp++;
            outputs[i].open(FrameKind.START);
            live.get(i).setup(outputs[i]);
            outputs[i].finish(false);
        }
        setupNanos = System.nanoTime() - startNanos;
        enter(Phase.ITERATE, new MigrationState.Active());
        copyLive(destinationWaits);
        // Where a short migration's time goes: the fixed steps before any data, then the copy.
        LOG.debug("before the pause: config built and sent {} ms, destination's answer {} ms, setup {} ms, live copy {} ms"
                        + " (of which waiting for the state sections' rehearsal {} ms)",
                millis(configSent - startNanos), millis(configAnswered - configSent), millis(setupNanos - (configAnswered - startNanos)),
                millis(System.nanoTime() - startNanos - setupNanos), millis(rehearsalWaitNanos));

        phase = Phase.DOWNTIME;
        checkCancel();
        pausedWhen = Instant.now();
        pausedAt = System.nanoTime();
        vm.pause();
        paused = true;
        long pauseDone = System.nanoTime();
        changeState(new MigrationState.Device());
        // The final burst is bounded by bandwidth x downtime already: it goes out unthrottled.
        bucket.setRate(TokenBucket.UNLIMITED);
        long sentBefore = meter.totalBytes();
        for (int i = 0; i < live.size(); i++) {
            checkCancel();
            long started = System.nanoTime();
            outputs[i].open(FrameKind.PART);
            live.get(i).complete(outputs[i]);
            long completed = System.nanoTime();
            outputs[i].finish(true);
            pending[i] = 0;
            downtimeLog.add("section {}: rest in {} µs, END written in {} µs", live.get(i).id(), (completed - started) / 1000,
                    (System.nanoTime() - completed) / 1000);
        }
        long liveDone = System.nanoTime();
        long liveBytes = meter.totalBytes() - sentBefore;
        for (int i = 0; i < states.size(); i++) {
            checkCancel();
            writeFull(writer, live.size() + 1 + i, states.get(i));
        }
        writer.writeFrame(FrameKind.EOF, 0, new byte[0]);
        long eofDone = System.nanoTime();
        if (returnPath.isPresent()) {
            phase = Phase.HANDSHAKE;
            awaitReply(channel.readable().orElseThrow(), "migration", options.ackTimeout());
        }
        long acked = System.nanoTime();
        downtimeLog.flush();
        actualDowntime = Duration.ofNanos(acked - pausedAt);
        String breakdown = String.format(Locale.ROOT, "pause %s ms, live sections' rest %s ms (%d bytes), state"
                        + " sections and EOF %s ms, destination's checks until ACK %s ms", millis(pauseDone - pausedAt),
                millis(liveDone - pauseDone), liveBytes, millis(eofDone - liveDone), millis(acked - eofDone));
        LOG.debug("downtime {} ms: {}", millis(acked - pausedAt), breakdown);
        if (actualDowntime.compareTo(downtimeLimit) > 0) {
            // The limit was not met: say where the pause went, so the operator sees why.
            downtimeNote = String.format(Locale.ROOT, "over the %d ms limit: %s", downtimeLimit.toMillis(), breakdown);
        }
        cleanUp(true);
    }

    /**
     * Seals the frames from now on with the checksum the options name, or by default the one this
     * CPU computes faster, if the destination offers a choice.
     */
    private void chooseChecksum(boolean offered) {
        FrameChecksumMode mode = options.frameChecksum();
        if (!offered) {
            frameChecksumNote = "CRC32C (the destination does not offer XXH3-64" + (mode == FrameChecksumMode.XXH3 ? ", which frame-checksum asks for)" : ")");
            return;
        }
        if (mode == FrameChecksumMode.AUTO) {
            ChecksumChoice choice = ChecksumChoice.measured();
            frameChecksum = choice.checksum();
            frameChecksumNote = choice.describe();
        } else {
            frameChecksum = mode == FrameChecksumMode.XXH3 ? FrameChecksum.XXH3_64 : FrameChecksum.CRC32C;
            frameChecksumNote = frameChecksum + " (set by frame-checksum)";
        }
        writer.sealWith(frameChecksum);
        LOG.info("frames sealed with {}", frameChecksumNote);
    }

    /**
     * Iterates until the rest fits the downtime; a link that breaks meanwhile pauses the
     * migration until it resumes on a new one, if it can: a resumer here, and a destination that
     * said it waits.
     */
    private void copyLive(boolean destinationWaits) throws IOException {
        while (true) {
            try {
                iterateUntilConverged();
                return;
            } catch (IOException e) {
                if (resumer.isEmpty() || !destinationWaits || cancelRequested || !LinkBrokenException.isBreak(e)) {
                    throw e;
                }
                awaitResume(message(e));
            }
        }
    }

    /** Paused until a link is offered on which the destination's RESUME is accepted, or a cancel. */
    private void awaitResume(String reason) throws IOException {
        LOG.warn("the migration link broke during the live copy ({}): precopy-paused, the VM runs on; resume with migrate -r",
                reason);
        live.forEach(LiveSection::copyHeld);
        while (true) {
            dropLink();
            changeState(new MigrationState.PrecopyPaused(reason));
            MigrationChannel link = gate.await(this::checkCancel);
            changeState(new MigrationState.PrecopyRecover());
            connect(link);
            if (replies != null) {
                replies.close();
            }
            replies = new FrameReader(link.readable().orElseThrow(), StreamFormat.MAX_PAYLOAD);
            long base = meter.totalBytes();
            try {
                new Relink(writer, replies, resumer.orElseThrow(), this::closeChannel).run(headerPayload());
                LOG.info("migration resumed");
                restoreThrottle();
                startReturnReader(base);
                drainSince = -1;
                convergence.forgetWindow();
                changeState(new MigrationState.Active());
                return;
            } catch (IOException e) {
                checkCancel();
                reason = message(e);
                LOG.warn("resume failed: {}", reason);
            }
        }
    }

    /** The copy runs again: a guest that was throttled before the break is throttled as much again. */
    private void restoreThrottle() {
        int level = convergence.level();
        if (options.autoConverge() && level > 0) {
            LOG.info("throttle level {} again, as before the break", level);
            live.forEach(section -> section.notConverging(level));
        }
    }

    /** Closes the broken link; what was written into it and not delivered is the destination's to report. */
    private void dropLink() {
        writer.discard();
        closeChannel();
        if (returnReader != null) {
            returnReader.join(); // its read fails on the closed channel
            returnReader = null;
        }
    }

    /** With a destination that reports, reads its return path on a thread of its own from now on. */
    private void startReturnReader(long base) {
        if (reportsProgress) {
            Thread migration = Thread.currentThread();
            returnReader = new ReturnPathReader(replies, meter, base, () -> phase, () -> LockSupport.unpark(migration));
        }
    }

    private void iterateUntilConverged() throws IOException {
        while (true) {
            checkCancel();
            checkReturnPath();
            long now = System.nanoTime();
            // A stall window is judged on exact figures: RAM's estimate learns of dirtied pages only
            // when a pass ends and harvests them, which may be many windows apart on a slow link.
            boolean exact = convergence.due(now);
            long total = exact ? exactPending() : estimatePending();
            long lag = destinationLag();
            if (convergence.observe(now, total, meter.totalBytes())) {
                int level = convergence.level();
                if (options.autoConverge()) {
                    LOG.info("not converging ({}): throttle level {}", convergence.reason(), level);
                    live.forEach(section -> section.notConverging(level));
                } else {
                    LOG.info("not converging ({}); auto-converge is off, the guest runs unthrottled", convergence.reason());
                }
            }
            if (convergence.exhausted()) {
                throw new MigrationException(Phase.ITERATE, "did not converge: " + total + " bytes still pending after "
                        + convergence.level() + " stall levels (" + convergence.reason()
                        + "); raise the downtime limit or the bandwidth");
            }
            long bandwidth = effectiveBandwidth();
            Duration fixed = fixedCost();
            if (bandwidth > 0) {
                expectedDowntime = downtime(total + lag, bandwidth).plus(fixed);
            }
            noteLimit(fixed);
            publish();
            boolean fits = fits(total + lag, bandwidth, fixed) && (exact || fits(exactPending() + lag, bandwidth, fixed));
            if (waitForDestination(now, fits, lag)) {
                // The rest fits but the destination is behind: pausing now would make the guest
                // wait for it. Go on sending what is pending (or wait for its next report).
                LOG.trace("destination {} bytes behind", lag);
            } else if (switchPoint.observe(now, sum() + lag, fits) && rehearsed()) {
                expectedDowntime = downtime(sum() + lag, bandwidth).plus(fixed);
                LOG.debug("pausing: {}; destination {} bytes behind; expected downtime {} ms at {} B/s and {} ms round trip",
                        switchPoint.describe(now, sum() + lag), lag, expectedDowntime.toMillis(), bandwidth, fixed.toMillis());
                return;
            }
            long budget = budget(bandwidth > 0 ? bandwidth : maxBandwidth);
            long before = meter.totalBytes();
            long started = System.nanoTime();
            for (int i = 0; i < live.size(); i++) {
                if (pending[i] > 0) {
                    checkCancel();
                    outputs[i].open(FrameKind.PART);
                    live.get(i).iterate(outputs[i], budget);
                    outputs[i].finish(false);
                }
            }
            iterations++;
            pipeline.record(meter.totalBytes() - before, System.nanoTime() - started);
            if (meter.totalBytes() == before) {
                LockSupport.parkNanos(1_000_000L); // pending but nothing sent: the guest is mid-write; don't spin
            }
        }
    }

    private long estimatePending() {
        for (int i = 0; i < live.size(); i++) {
            pending[i] = live.get(i).pendingBytes();
        }
        return sum();
    }

    private long exactPending() {
        for (int i = 0; i < live.size(); i++) {
            pending[i] = live.get(i).exactPendingBytes();
        }
        return sum();
    }

    private long sum() {
        long total = 0;
        for (long p : pending) {
            total += p;
        }
        return total;
    }

    /** Dirty rate: how fast pending grows, beside what was sent, over at least 100 ms. */
    /** The copy's measured speed, capped by the limit; 0 until the sections sent data. */
    private long effectiveBandwidth() {
        return Math.min(pipeline.rate(), maxBandwidth);
    }

    /**
     * Fails the copy at once if the destination answered before the end of the stream (a NACK, a
     * broken or malformed return path) instead of sending on until the final wait.
     */
    private void checkReturnPath() throws IOException {
        if (returnReader != null && returnReader.answered()) {
            Optional<IOException> broken = returnReader.failure().filter(LinkBrokenException::isBreak);
            if (broken.isPresent()) {
                throw broken.get(); // a resumable migration pauses on it
            }
            awaitReply(null, "migration", Duration.ZERO);
            replyFailed = true;
            throw new MigrationException(phase, "return path: the destination acknowledged before the end of the stream");
        }
    }

    /**
     * Bytes the destination does not have in hand yet (in flight with what those frames imply,
     * not read back), as its last report says (before the first, nothing counts as applied); 0
     * once that is at most {@link #CAUGHT_UP_BYTES}, or if it does not report.
     */
    private long destinationLag() {
        if (returnReader == null) {
            return 0;
        }
        long lag = returnReader.lag(meter.totalBytes());
        return lag <= CAUGHT_UP_BYTES ? 0 : lag;
    }

    /** What the pause costs however little is left: the destination's measured round trip (0 if it does not report). */
    private Duration fixedCost() {
        return returnReader == null ? Duration.ZERO : returnReader.roundTrip();
    }

    /**
     * Whether to hold the switch while the destination catches up: the rest fits, the
     * destination is behind, and it has been so for less than {@link SwitchPoint#MAX_SETTLE_MILLIS}
     * (a destination that never catches up must not hold the migration forever).
     */
    private boolean waitForDestination(long now, boolean fits, long lag) {
        if (!fits || lag == 0) {
            drainSince = -1;
            return false;
        }
        if (drainSince < 0) {
            drainSince = now;
        }
        return now - drainSince < SwitchPoint.MAX_SETTLE_MILLIS * 1_000_000L;
    }

    /** While the copy runs: if the fixed cost alone exceeds the limit, say so (the limit cannot be met). */
    private void noteLimit(Duration fixed) {
        downtimeNote = fixed.compareTo(downtimeLimit) > 0
                ? String.format(Locale.ROOT, "the %d ms limit cannot be met: the destination's round trip alone takes %d ms;"
                        + " pausing once nothing is left to send", downtimeLimit.toMillis(), fixed.toMillis())
                : "";
    }

    /**
     * Whether {@code bytes} at {@code bandwidth}, plus the {@code fixed} cost, fit the limit.
     * Nothing left always fits: with a fixed cost over the limit that is the best there is.
     */
    private boolean fits(long bytes, long bandwidth, Duration fixed) {
        return bytes == 0 || (bandwidth > 0 && downtime(bytes, bandwidth).plus(fixed).compareTo(downtimeLimit) <= 0);
    }

    private static Duration downtime(long bytes, long bandwidth) {
        if (bandwidth <= 0) {
            return bytes == 0 ? Duration.ZERO : Duration.ofSeconds(Long.MAX_VALUE / 2);
        }
        return Duration.ofNanos((long) (bytes * 1e9 / bandwidth));
    }

    /** About 100 ms of data per section and iteration (the limit stands in until bandwidth is measured). */
    private static long budget(long bandwidth) {
        return Math.clamp(bandwidth / 10, MIN_BUDGET, MAX_BUDGET);
    }

    /**
     * Whether the state sections' rehearsal has ended, so that the VM may pause; if not, waits up
     * to {@value #REHEARSAL_WAIT_MILLIS} ms for it and answers no all the same: the guest dirtied
     * pages meanwhile, which the copy sends before the rest is judged again.
     */
    private boolean rehearsed() throws MigrationException {
        if (warmUp.await(0)) {
            return true;
        }
        long started = System.nanoTime();
        warmUp.await(REHEARSAL_WAIT_MILLIS);
        rehearsalWaitNanos += System.nanoTime() - started;
        return false;
    }

    private void writeFull(FrameWriter writer, int index, StateSection<?> section) throws IOException {
        SectionId id = section.id();
        long started = System.nanoTime();
        byte[] body = StateCodec.encode(section.save());
        long encoded = System.nanoTime();
        long size = SectionDescriptor.size(id) + body.length;
        if (size > writer.maxPayload()) {
            throw new MigrationException(Phase.DOWNTIME, "section " + id + ": state of " + body.length
                    + " bytes exceeds one frame (" + writer.maxPayload() + " bytes)");
        }
        writer.begin(index);
        SectionDescriptor.write(id, writer.claim(SectionDescriptor.size(id)));
        MemorySegment.copy(MemorySegment.ofArray(body), 0, writer.claim(body.length), 0, body.length);
        writer.seal(FrameKind.FULL);
        downtimeLog.add("section {}: {} bytes of state saved in {} µs, written in {} µs", id, body.length,
                (encoded - started) / 1000, (System.nanoTime() - encoded) / 1000);
    }

    /** Waits for ACK (returns its text) or NACK (throws with the destination's reason) about {@code what}. */
    private String awaitReply(ReadableByteChannel returnPath, String what, Duration timeout) throws IOException {
        ReturnPathReader.Answer answer = returnReader != null ? awaitReader(what, timeout) : readAnswer(returnPath, what, timeout);
        switch (answer.kind()) {
            case ACK -> {
                return answer.text();
            }
            case NACK -> {
                replyFailed = true;
                throw new MigrationException(phase, "the destination refused the migration: " + answer.text());
            }
            default -> {
                replyFailed = true;
                throw new MigrationException(phase, "return path: expected ACK or NACK, got " + answer.description());
            }
        }
    }

    /** Reads the next frame of the return path on this thread, under a deadline. */
    private ReturnPathReader.Answer readAnswer(ReadableByteChannel returnPath, String what, Duration timeout) throws IOException {
        if (replies == null) {
            replies = new FrameReader(returnPath, StreamFormat.CONTROL_PAYLOAD);
        }
        try (Watchdog watchdog = new Watchdog(timeout, this::closeChannel)) {
            try {
                Frame frame = replies.next(phase);
                return new ReturnPathReader.Answer(frame.kind(), frame.text(), frame.describe());
            } catch (IOException e) {
                replyFailed = true;
                throw answerFailed(what, timeout, e, watchdog.fired());
            }
        }
    }

    /** Takes the answer the return path's reader thread got. */
    private ReturnPathReader.Answer awaitReader(String what, Duration timeout) throws IOException {
        try {
            return returnReader.await(timeout);
        } catch (TimeoutException e) {
            replyFailed = true;
            closeChannel();
            throw answerFailed(what, timeout, null, true);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            replyFailed = true;
            throw new MigrationException(phase, "interrupted while waiting for the destination's answer about the " + what);
        } catch (IOException e) {
            replyFailed = true;
            throw answerFailed(what, timeout, e, false);
        }
    }

    private MigrationException answerFailed(String what, Duration timeout, IOException cause, boolean timedOut) {
        if (timedOut) {
            return new MigrationException(phase, "no answer from the destination about the " + what + " within "
                    + timeout.toMillis() + " ms");
        }
        return new MigrationException(phase, "the destination did not answer about the " + what + ": " + cause.getMessage(), cause);
    }

    /**
     * After a failure of our own, the destination's reason if it sent one: a destination that
     * refuses mid-stream answers NACK and closes, and the source only sees a reset connection.
     */
    private Optional<String> destinationReason() {
        Optional<ReadableByteChannel> returnPath = channel.readable();
        if (returnPath.isEmpty() || replyFailed) {
            return Optional.empty();
        }
        if (returnReader != null) {
            try {
                ReturnPathReader.Answer answer = returnReader.await(ABORT_GRACE);
                return answer.kind() == FrameKind.NACK ? Optional.of(answer.text()) : Optional.empty();
            } catch (IOException | TimeoutException | RuntimeException e) {
                LOG.debug("no reason from the destination: {}", e.toString());
                return Optional.empty();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Optional.empty();
            }
        }
        if (replies == null) {
            replies = new FrameReader(returnPath.get(), StreamFormat.CONTROL_PAYLOAD);
        }
        try (Watchdog watchdog = new Watchdog(ABORT_GRACE, this::closeChannel)) {
            Frame frame = replies.next(phase);
            return frame.kind() == FrameKind.NACK ? Optional.of(frame.text()) : Optional.empty();
        } catch (IOException | RuntimeException e) {
            LOG.debug("no reason from the destination: {}", e.toString());
            return Optional.empty();
        }
    }

    private void fail(Throwable cause) {
        boolean cancelled = cancelRequested;
        String reason = cancelled ? "cancelled by the operator" : message(cause);
        aborting = true;
        writer.discard();
        boolean halfClosed = false;
        try (Watchdog watchdog = new Watchdog(ABORT_GRACE, this::closeChannel)) {
            writer.writeFrame(FrameKind.ABORT, 0, reason.getBytes(StandardCharsets.UTF_8));
            halfClosed = channel.shutdownOutput();
        } catch (IOException | RuntimeException e) {
            LOG.debug("ABORT frame not sent, or the output not shut down after it: {}", e.toString());
        }
        if (paused) {
            try {
                vm.resume();
                paused = false;
            } catch (RuntimeException e) {
                LOG.error("the VM did not resume after the failed migration", e);
                reason += "; resuming the VM failed: " + message(e);
            }
        }
        downtimeLog.flush();
        if (!cancelled) {
            // A destination that refused mid-stream sent NACK and closed: the reset we saw hides its reason.
            Optional<String> refused = destinationReason().filter(text -> !text.startsWith(StreamFormat.SOURCE_ABORTED));
            if (refused.isPresent()) {
                LOG.debug("own failure behind the destination's refusal: {}", reason);
                reason = "the destination refused the migration: " + refused.get();
            }
            LOG.warn("migration failed in phase {}: {}", phase, reason);
            LOG.debug("failure", cause);
        }
        if (halfClosed) {
            awaitHangUp();
        }
        cleanUp(false);
        end(cancelled ? new MigrationState.Cancelled() : new MigrationState.Failed(phase, reason));
    }

    /**
     * After ABORT and our half-close: reads and drops the return path until the destination hangs
     * up (it does once it read the ABORT) or {@link #ABORT_GRACE} passed ({@link HangUp}): the
     * ABORT, behind a full window, would otherwise be lost in a reset, and with it the reason the
     * destination would name.
     */
    private void awaitHangUp() {
        Optional<ReadableByteChannel> in = channel.readable();
        if (in.isEmpty()) {
            return;
        }
        try (Watchdog watchdog = new Watchdog(ABORT_GRACE, this::closeChannel)) {
            if (returnReader != null) {
                returnReader.join(); // it ends on the destination's NACK or end of stream
            }
            HangUp.awaitFrom(in.get());
        } catch (IOException e) {
            LOG.debug("stopped reading the return path after ABORT: {}", e.toString());
        }
    }

    private void cleanUp(boolean succeeded) {
        for (int i = 0; i < setUp; i++) {
            try {
                live.get(i).cleanup(succeeded);
            } catch (RuntimeException e) {
                LOG.error("section {}: cleanup failed", live.get(i).id(), e);
            }
        }
        setUp = 0;
    }

    private static String millis(long nanos) {
        return String.format(Locale.ROOT, "%.1f", nanos / 1e6);
    }

    private static String message(Throwable e) {
        return e.getMessage() != null ? e.getMessage() : e.toString();
    }

    private void checkCancel() throws IOException {
        if (cancelRequested && !aborting) {
            throw new MigrationException(phase, "cancelled by the operator");
        }
    }

    private void enter(Phase next, MigrationState nextState) {
        phase = next;
        changeState(nextState);
    }

    private void end(MigrationState last) {
        endNanos = System.nanoTime();
        changeState(last);
    }

    /** Statistics first, so a listener that asks for them sees the new state there too. */
    private void changeState(MigrationState next) {
        state = next;
        publish();
        try {
            listener.accept(next);
        } catch (RuntimeException e) {
            LOG.warn("migration state listener failed on {}: {}", next.status(), e.toString());
        }
    }

    private void closeChannel() {
        try {
            channel.close();
        } catch (IOException e) {
            LOG.debug("closing the migration channel: {}", e.toString());
        }
    }

    private static byte[] headerPayload() {
        ByteBuffer header = ByteBuffer.allocate(StreamFormat.MAGIC.length + 4).order(ByteOrder.LITTLE_ENDIAN);
        header.put(StreamFormat.MAGIC).putShort((short) StreamFormat.MAJOR).putShort((short) StreamFormat.MINOR);
        return header.array();
    }

    /**
     * The last window's rate while running; once ended, the average over the whole migration (the
     * last window holds the unthrottled final burst, which would read above the bandwidth limit).
     */
    private long throughput(long now) {
        if (endNanos < 0) {
            return meter.throughput();
        }
        return now > startNanos ? (long) (meter.totalBytes() * 1e9 / (now - startNanos)) : 0;
    }

    /** Precopy-paused or recovering: the sections lifted their throttle until the copy runs again. */
    private boolean throttleLifted() {
        return state instanceof MigrationState.PrecopyPaused || state instanceof MigrationState.PrecopyRecover;
    }

    private String throttleReason() {
        if (convergence.level() == 0) {
            return "";
        }
        if (throttleLifted()) {
            return "lifted while precopy-paused; level " + convergence.level() + " again once the copy resumes";
        }
        return options.autoConverge() ? convergence.reason() : "auto-converge off; " + convergence.reason();
    }

    private void publish() {
        long now = endNanos >= 0 ? endNanos : System.nanoTime();
        List<SectionStats> sections = new ArrayList<>(live.size());
        long remaining = 0;
        for (int i = 0; i < live.size(); i++) {
            long sent = outputs[i] == null ? 0 : outputs[i].sent();
            sections.add(new SectionStats(live.get(i).id(), sent, pending[i]));
            remaining += pending[i];
        }
        stats = new MigrationStats(state, Duration.ofNanos(Math.max(0, setupNanos)), Duration.ofNanos(now - startNanos),
                meter.totalBytes(), remaining, throughput(now), convergence.dirtyRate(), iterations,
                expectedDowntime, Optional.ofNullable(actualDowntime), Optional.ofNullable(pausedWhen), maxBandwidth, downtimeLimit,
                options.autoConverge() && !throttleLifted() ? convergence.level() : 0, throttleReason(), downtimeNote, frameChecksumNote, sections);
    }
}
