package dev.ferry.savevm.destination;

import dev.ferry.savevm.FrameKind;
import dev.ferry.savevm.Joins;
import dev.ferry.savevm.stream.FrameWriter;
import dev.ferry.savevm.stream.ProgressReport;
import dev.ferry.savevm.stream.StreamFormat;
import java.io.IOException;
import java.nio.channels.WritableByteChannel;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The destination's side of the return path: the replies (ACK, NACK, RESUME) and, while the sections
 * load, a thread that sends a PROGRESS report when it changed, at most every {@value #REPORT_MILLIS} ms.
 * The source pauses the guest only once these say the destination caught up, so the pause does
 * not wait for data still in the socket or not yet read back. Frames go out under one lock: the
 * reports' thread and the loader share the writer.
 */
final class ReturnPath implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ReturnPath.class);
    static final long REPORT_MILLIS = 2;
    /** The longest a reporter with nothing new sleeps: a change no one nudges about (a backlog shrinking) shows this late at worst. */
    static final long QUIET_MILLIS = 16;

    private final FrameWriter writer;
    private Thread reporter;
    private volatile boolean stopping;
    private boolean broken;

    ReturnPath(WritableByteChannel channel) {
        // RESUME carries a received-granule record, which may exceed a reason's size.
        this.writer = FrameWriter.unthrottled(channel, StreamFormat.MAX_PAYLOAD);
    }

    /** Sends one frame the loader cannot go on without (RESUME): a failure is thrown. */
    synchronized void deliver(FrameKind kind, byte[] payload) throws IOException {
        writer.writeFrame(kind, 0, payload);
    }

    /** Sends one frame; a failure to send is only logged (the source notices the broken path itself). */
    synchronized void send(FrameKind kind, byte[] payload) {
        if (broken) {
            return;
        }
        try {
            deliver(kind, payload);
        } catch (IOException e) {
            broken = true;
            LOG.debug("{} not sent: {}", kind, e.toString());
        }
    }

    /**
     * Starts reporting what {@code progress} says, until {@link #stopReports}: a report when it
     * changed, at most one per {@value #REPORT_MILLIS} ms. While it stays the same the thread
     * looks less and less often, down to every {@value #QUIET_MILLIS} ms, and {@link #nudge} makes
     * it look at once: a thread that woke every 2 ms for nothing took more CPU than the loader
     * itself in a nested KVM, whose emulated CPU makes every timer wake-up dear.
     */
    void startReports(Supplier<ProgressReport> progress) {
        reporter = Thread.ofPlatform().daemon().name("progress-reports").start(() -> {
            ProgressReport last = null;
            long quiet = REPORT_MILLIS;
            while (!stopping) {
                ProgressReport now = progress.get();
                if (!now.equals(last)) {
                    send(FrameKind.PROGRESS, now.encode());
                    last = now;
                    quiet = REPORT_MILLIS;
                    sleepThrough(REPORT_MILLIS);
                } else {
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(quiet));
                    quiet = Math.min(quiet * 2, QUIET_MILLIS);
                }
            }
        });
    }

    /** The loader applied more: the reports' thread looks now (still at most one report per period). */
    void nudge() {
        Thread running = reporter;
        if (running != null) {
            LockSupport.unpark(running);
        }
    }

    /** Sleeps {@code millis} whatever nudges come, unless the reports stop. */
    private void sleepThrough(long millis) {
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        long left;
        while (!stopping && (left = until - System.nanoTime()) > 0) {
            LockSupport.parkNanos(left);
        }
    }

    /** Stops the reports and waits for the thread: the replies after it come in order. */
    void stopReports() {
        stopping = true;
        Thread running = reporter;
        if (running != null) {
            LockSupport.unpark(running);
            Joins.uninterruptibly(running);
        }
    }

    @Override
    public void close() {
        stopReports();
        writer.close();
    }
}
