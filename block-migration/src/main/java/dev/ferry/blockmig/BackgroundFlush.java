package dev.ferry.blockmig;

import dev.ferry.savevm.Joins;
import dev.ferry.vm.block.BlockDevice;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes a destination image durable bit by bit while the copy runs: a thread flushes it once
 * {@value #EVERY_BYTES} bytes arrived since the last flush, or {@value #EVERY_MILLIS} ms after
 * the last one with anything unflushed. The flush at the switch, which the guest's downtime
 * waits for, then only covers what arrived since the last background flush began; without this
 * it wrote back everything the copy had sent (over half a second for a 1 GiB disk here). The
 * interval is short so that, while the guest's last writes trickle in, the switch's flush covers
 * about {@value #EVERY_MILLIS} ms of them: at 100 ms the END frame of a 1 GiB copy with the guest
 * writing 8 MiB/s took 323 ms to apply under load, most of it that flush.
 */
final class BackgroundFlush implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(BackgroundFlush.class);
    private static final long EVERY_BYTES = 64L << 20;
    private static final long EVERY_MILLIS = 10;

    private final BlockDevice device;
    private final String name;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private Thread thread;
    /** Bytes written since the last flush began. */
    private long unflushed;
    /** Bytes the background flush in progress makes durable. */
    private long inFlush;
    /** Bytes the last flush makes durable, until it is done. */
    private long inLastFlush;
    /** For the log: what the last flush covered, and what a background flush still running then did. */
    private long lastFlushBytes;
    private long runningAtLastBytes;
    private long lastFlushEnd = System.nanoTime();
    private boolean flushing;
    private boolean stopped;
    private IOException failure;
    /** The last flush, once {@link #finishSoon} began it. */
    private Thread last;
    private volatile IOException lastFailure;
    /** Flushes begun so far, background and last (tests count them). */
    private final AtomicLong flushes = new AtomicLong();

    BackgroundFlush(BlockDevice device, String name) {
        this.device = device;
        this.name = name;
    }

    /** {@code bytes} were written to the image (at least 1 for a write of zeroes). */
    void written(long bytes) {
        lock.lock();
        try {
            if (stopped) {
                return;
            }
            // The thread sleeps without a deadline while nothing is unflushed: the first write
            // after such a spell wakes it, or writes trickling in after a dirty pass waited until
            // the switch and made its flush cover them all (up to a second of them, 300 ms of
            // downtime with the guest writing 8 MiB/s on a loaded host).
            boolean idle = unflushed == 0;
            unflushed += Math.max(1, bytes);
            if (thread == null) {
                thread = Thread.ofPlatform().daemon().name("flush-" + name).start(this::run);
            } else if (idle || unflushed >= EVERY_BYTES) {
                changed.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Flushes begun so far. */
    long flushes() {
        return flushes.get();
    }

    /** Bytes written but not yet durable: since the last flush began, and what the one in progress covers. */
    long unflushedBytes() {
        lock.lock();
        try {
            return unflushed + inFlush + inLastFlush;
        } finally {
            lock.unlock();
        }
    }

    private void run() {
        lock.lock();
        try {
            while (!stopped) {
                long wait = lastFlushEnd + TimeUnit.MILLISECONDS.toNanos(EVERY_MILLIS) - System.nanoTime();
                if (unflushed == 0) {
                    changed.await();
                    continue;
                }
                if (unflushed < EVERY_BYTES && wait > 0) {
                    changed.awaitNanos(wait);
                    continue;
                }
                inFlush = unflushed;
                unflushed = 0;
                flushing = true;
                lock.unlock();
                try {
                    flushes.incrementAndGet();
                    device.flush();
                } catch (IOException e) {
                    failure = e;
                } finally {
                    lock.lock();
                    flushing = false;
                    inFlush = 0;
                    lastFlushEnd = System.nanoTime();
                    changed.signalAll();
                }
                if (failure != null) {
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Stops flushing in the background and begins the last flush, which makes everything written
     * so far durable, on a thread of its own: the destination receives the rest of the stream
     * meanwhile. It does not wait for a background flush in progress first: a flush covers what
     * was written before it began, whatever runs beside it; and it begins none if nothing was
     * written since the last one began. Call after the last write.
     */
    void finishSoon() {
        lock.lock();
        try {
            if (!stopped) {
                lastFlushBytes = unflushed;
                runningAtLastBytes = inFlush;
            }
            stopped = true;
            changed.signalAll();
            // Nothing written since the last flush began: that flush (done, or awaited by finish)
            // covers everything, and a flush of nothing still waits on the file system's journal.
            if (last == null && unflushed > 0) {
                inLastFlush = unflushed;
                unflushed = 0;
                last = Thread.ofPlatform().daemon().name("last-flush-" + name).start(this::flushLast);
            }
        } finally {
            lock.unlock();
        }
    }

    private void flushLast() {
        try {
            flushes.incrementAndGet();
            device.flush();
        } catch (IOException e) {
            lastFailure = e;
        } finally {
            lock.lock();
            try {
                inLastFlush = 0;
            } finally {
                lock.unlock();
            }
        }
    }

    /** Begins the last flush if {@link #finishSoon} did not, waits for it; reports any flush that failed. */
    void finish() throws IOException {
        finishSoon();
        long started = System.nanoTime();
        awaitLast();
        lock.lock();
        try {
            stop();
            LOG.debug("{}: waited {} µs for the last flush ({} bytes; a background flush of {} bytes was running)", name,
                    (System.nanoTime() - started) / 1000, lastFlushBytes, runningAtLastBytes);
            if (failure != null) {
                throw failure;
            }
        } finally {
            lock.unlock();
        }
        if (lastFailure != null) {
            throw lastFailure;
        }
    }

    /** Stops flushing in the background, waiting for a flush in progress (the last one too); begins none. */
    @Override
    public void close() {
        lock.lock();
        try {
            stop();
        } finally {
            lock.unlock();
        }
        awaitLast();
    }

    private void awaitLast() {
        Thread flushing;
        lock.lock();
        try {
            flushing = last;
        } finally {
            lock.unlock();
        }
        Joins.uninterruptibly(flushing);
    }

    private void stop() {
        stopped = true;
        changed.signalAll();
        while (flushing) {
            changed.awaitUninterruptibly();
        }
    }
}
