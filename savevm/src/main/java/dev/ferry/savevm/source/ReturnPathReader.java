package dev.ferry.savevm.source;

import dev.ferry.savevm.FrameKind;
import dev.ferry.savevm.Joins;
import dev.ferry.savevm.Phase;
import dev.ferry.savevm.stream.Frame;
import dev.ferry.savevm.stream.FrameReader;
import dev.ferry.savevm.stream.ProgressReport;
import dev.ferry.savevm.stream.ThroughputMeter;
import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * The source's side of the return path once the copy runs: a thread reads it, keeps the
 * destination's latest PROGRESS report and how long applied bytes took to be reported, and hands
 * the first other frame (ACK, NACK, anything unexpected), or the failure to read one, to whoever
 * awaits the destination's answer. Used only with a destination that said it reports.
 */
final class ReturnPathReader {

    /** A frame other than PROGRESS, copied out of the reader's buffer. */
    record Answer(FrameKind kind, String text, String description) {
    }

    /** Report latencies older than this no longer count towards the fixed cost. */
    private static final long LATENCY_WINDOW_NANOS = 1_000_000_000L;

    private final FrameReader reader;
    private final ThroughputMeter meter;
    /** The meter's total when this link's HEADER was written: reports count from there. */
    private final long base;
    private final Supplier<Phase> phase;
    private final Runnable onReport;
    private final CompletableFuture<Answer> answer = new CompletableFuture<>();
    /** Why reading ended, if it failed (a broken link may pause a resumable migration). */
    private volatile IOException failure;
    private volatile ProgressReport latest = new ProgressReport(0, 0);
    /** The smallest report latency of the current and of the last window (reader thread only, read anywhere). */
    private volatile long latencyNow = Long.MAX_VALUE;
    private volatile long latencyBefore = Long.MAX_VALUE;
    private long windowStart = System.nanoTime();
    private final Thread thread;

    ReturnPathReader(FrameReader reader, ThroughputMeter meter, long base, Supplier<Phase> phase, Runnable onReport) {
        this.reader = reader;
        this.meter = meter;
        this.base = base;
        this.phase = phase;
        this.onReport = onReport;
        this.thread = Thread.ofPlatform().daemon().name("savevm-return-path").start(this::run);
    }

    /** Waits for the thread to end (after the answer, or once the channel is closed) so its reader can be closed. */
    void join() {
        Joins.uninterruptibly(thread);
    }

    private void run() {
        try {
            while (true) {
                Frame frame = reader.next(phase.get());
                if (frame.kind() != FrameKind.PROGRESS) {
                    answer.complete(new Answer(frame.kind(), frame.text(), frame.describe()));
                    return;
                }
                report(ProgressReport.decode(frame.payload(), phase.get()));
            }
        } catch (IOException e) {
            failure = e;
            answer.completeExceptionally(e);
        } catch (RuntimeException e) {
            answer.completeExceptionally(e);
        }
    }

    private void report(ProgressReport report) {
        long now = System.nanoTime();
        if (report.appliedBytes() > latest.appliedBytes()) {
            long written = meter.writtenAt(base + report.appliedBytes());
            if (written >= 0) {
                if (now - windowStart >= LATENCY_WINDOW_NANOS) {
                    latencyBefore = latencyNow;
                    latencyNow = Long.MAX_VALUE;
                    windowStart = now;
                }
                latencyNow = Math.min(latencyNow, now - written);
            }
        }
        latest = report;
        onReport.run();
    }

    /** The failure that ended reading, if any. */
    Optional<IOException> failure() {
        return Optional.ofNullable(failure);
    }

    /** Whether the answer (or the failure to read one) is in: during the copy, something went wrong. */
    boolean answered() {
        return answer.isDone();
    }

    /**
     * Bytes the destination does not have in hand yet: what was sent beyond the last report's
     * applied bytes and what those frames imply (a zero marker's range: a few bytes on the wire,
     * megabytes to write and read back), plus the backlog it reported.
     */
    long lag(long sentBytes) {
        ProgressReport last = latest;
        long applied = base + last.appliedBytes();
        return Math.max(0, sentBytes - applied) + meter.impliedAfter(applied) + last.backlogBytes();
    }

    /**
     * The shortest time from writing a frame to hearing it was applied, over the last second or
     * two: the round trip plus the destination's handling of one frame, a cost the pause pays
     * however little is left. Zero until measured.
     */
    Duration roundTrip() {
        long best = Math.min(latencyNow, latencyBefore);
        return best == Long.MAX_VALUE ? Duration.ZERO : Duration.ofNanos(best);
    }

    /**
     * Waits for the destination's answer.
     *
     * @throws TimeoutException if none came in time
     * @throws IOException the failure to read it
     */
    Answer await(Duration timeout) throws IOException, TimeoutException, InterruptedException {
        try {
            return answer.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new IOException(e.getCause());
        }
    }
}
