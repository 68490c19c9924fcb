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
 * load, a thread that sends a PROGRESS report every {@value #REPORT_MILLIS} ms when it changed.
 * The source pauses the guest only once these say the destination caught up, so the pause does
 * not wait for data still in the socket or not yet read back. Frames go out under one lock: the
 * reports' thread and the loader share the writer.
 */
final class ReturnPath implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ReturnPath.class);
    static final long REPORT_MILLIS = 2;

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

    /** Starts reporting what {@code progress} says, until {@link #stopReports}. */
    void startReports(Supplier<ProgressReport> progress) {
        reporter = Thread.ofPlatform().daemon().name("progress-reports").start(() -> {
            ProgressReport last = null;
            while (!stopping) {
                ProgressReport now = progress.get();
                if (!now.equals(last)) {
                    send(FrameKind.PROGRESS, now.encode());
                    last = now;
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(REPORT_MILLIS));
            }
        });
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
