package dev.ferry.blockmig;

import dev.ferry.savevm.Joins;
import dev.ferry.vm.block.Allocation;
import dev.ferry.vm.block.BlockDevice;
import dev.ferry.vm.block.Extent;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The destination's check that its image holds what the source sent, run beside the copy so that
 * the guest's downtime does not grow with the disk. Every range the stream writes is marked; a
 * thread of its own reads marked granules back from the image (once written: the mark follows
 * the write) and hashes them into the disk's {@link ChunkDigests}. When nothing is marked it
 * sweeps over every granule the copy covered again, using at most {@value #SWEEP_SHARE_PERCENT} %
 * of a core, so bytes changed in the image from outside after their granule was read back reach
 * the digest as well. At the switch {@link #finish} stops the thread and reads back only what is
 * still marked, i.e. what the last pass wrote, and returns the digest of what the image holds.
 *
 * <p>A write racing a read-back is safe without a lock: the writer marks after its write, the
 * thread takes the mark before its read, so a granule read while it changed is marked again and
 * read again. The digest table is the thread's alone until {@link #finish} joins it.
 */
final class ReadBackVerifier implements AutoCloseable {

    static final int SWEEP_SHARE_PERCENT = 20;
    /**
     * The most a sweep reads at once: {@link #finish} waits for the read under way when it stops
     * the thread, inside the guest's downtime, so a sweep's reads stay short.
     */
    static final long SWEEP_RUN_BYTES = 64 << 10;
    /** Runs shorter than this are read back without asking the image's map where its zeroes are. */
    static final long MAP_MIN_BYTES = 64 << 10;
    /** How long the thread sleeps at most while nothing is marked and no sweep is due. */
    private static final long IDLE_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

    private static final Logger LOG = LoggerFactory.getLogger(ReadBackVerifier.class);

    private final String drive;
    private final BlockDevice device;
    private final ChunkDigests digests;
    private final DirtyBitmap marked;
    private final MemorySegment buffer;
    private final long granule;
    private final long perRun;
    private final long perSweepRun;
    private final Thread thread;
    private volatile boolean stopping;
    private volatile Exception failure;
    private volatile long sweeps;
    /**
     * Bytes of the run the thread took off the marks and reads back now: still unread, so the
     * backlog counts them (set before the marks are taken, so a report never sees neither).
     */
    private volatile long reading;
    private long readCursor;
    private long sweepCursor;
    private long sweepDueNanos;

    /** Starts the thread; {@code arena} holds the digest table and a chunk-sized read buffer. */
    ReadBackVerifier(DiskSpec spec, BlockDevice device, Arena arena) {
        DiskCopyRehearsal.copyBegins(device);
        this.drive = spec.drive();
        this.device = device;
        this.granule = spec.hashGranularity();
        this.perRun = spec.chunkSize() / granule;
        this.perSweepRun = Math.max(1, SWEEP_RUN_BYTES / granule);
        this.digests = new ChunkDigests(spec.size(), spec.hashGranularity(), arena);
        this.marked = new DirtyBitmap(spec.size(), granule);
        this.buffer = arena.allocate(spec.chunkSize(), 4096);
        this.thread = Thread.ofPlatform().daemon().name("verify-" + spec.drive()).start(this::run);
    }

    /** {@code [offset, offset + length)} was written to the image: its granules are read back. */
    void written(long offset, long length) {
        if (marked.mark(offset, length) > 0) {
            LockSupport.unpark(thread);
        }
    }

    /** Bytes written but not read back yet: what {@link #finish} would read if called now. */
    long unreadBytes() {
        long markedBytes = marked.count() * granule;
        return markedBytes + reading; // in this order: a run taken after the count is read is in reading until done
    }

    /** Full sweeps over the covered granules so far (tests wait on it). */
    long sweeps() {
        return sweeps;
    }

    private void run() {
        try {
            while (!stopping) {
                if (readBackNext()) {
                    continue;
                }
                long now = System.nanoTime();
                if (now - sweepDueNanos >= 0) {
                    sweepNext();
                    long spent = System.nanoTime() - now;
                    sweepDueNanos = System.nanoTime() + spent * (100 - SWEEP_SHARE_PERCENT) / SWEEP_SHARE_PERCENT;
                } else {
                    LockSupport.parkNanos(Math.min(IDLE_NANOS, sweepDueNanos - now));
                }
            }
        } catch (IOException | RuntimeException e) {
            failure = e;
        }
    }

    /** Reads back the next run of marked granules (inside a chunk's worth) and hashes it; false if none is marked. */
    private boolean readBackNext() throws IOException {
        if (marked.count() == 0) {
            return false;
        }
        reading = perRun * granule;
        try {
            long first = marked.takeNext(readCursor);
            if (first < 0 && readCursor > 0) {
                first = marked.takeNext(0);
            }
            if (first < 0) {
                return false;
            }
            long end = first + 1;
            while (end - first < perRun && end < marked.chunks() && marked.clear(end)) {
                end++;
            }
            reading = (end - first) * granule;
            readCursor = end;
            hash(first, end);
            return true;
        } finally {
            reading = 0;
        }
    }

    /** Reads back and hashes the next run of covered granules; a sweep ends where none is left. */
    private void sweepNext() throws IOException {
        long first = digests.nextCovered(sweepCursor);
        if (first < 0) {
            sweepCursor = 0;
            sweeps++;
            return;
        }
        long end = first + 1;
        while (end - first < perSweepRun && digests.nextCovered(end) == end) {
            end++;
        }
        sweepCursor = end;
        hash(first, end);
    }

    /**
     * Reads back granules {@code [first, end)} and hashes them. A range the image's own map says
     * reads as zeroes (a hole, a zero cluster) is hashed as zeroes without reading it: the
     * migration's zero half arrives as markers at the end of the bulk pass, and reading it back
     * there would put hundreds of MiB of zero-filled reads right before the switch. A run shorter
     * than {@value #MAP_MIN_BYTES} bytes (the dirty passes' scattered pages) is read without
     * asking the map: the question costs as much as the read.
     */
    private void hash(long first, long end) throws IOException {
        long stop = Math.min(end * granule, device.size());
        for (long at = first * granule; at < stop; ) {
            Extent extent = stop - at < MAP_MIN_BYTES ? new Extent(at, stop - at, Allocation.DATA)
                    : device.allocation(at, stop - at);
            long n = Math.min(extent.end(), stop) - at;
            if (extent.allocation() == Allocation.ZERO) {
                digests.addZeroes(at, n);
            } else {
                MemorySegment content = buffer.asSlice(0, n);
                device.read(at, content);
                digests.add(at, content);
            }
            at += n;
        }
    }

    /**
     * Stops the thread, reads back what is still marked and returns the digest of every granule
     * the copy wrote, as the image holds it now. Call once, after the last write.
     */
    String finish() throws IOException {
        stop();
        if (failure instanceof IOException e) {
            throw e;
        }
        if (failure instanceof RuntimeException e) {
            throw e;
        }
        readCursor = 0;
        long left = marked.count();
        long started = System.nanoTime();
        while (readBackNext()) {
            // the last pass's granules, and any the thread had not reached
        }
        String digest = digests.digest();
        LOG.debug("drive {}: {} granules left to read back at the switch, read and digest in {} µs", drive, left,
                (System.nanoTime() - started) / 1000);
        return digest;
    }

    private void stop() {
        stopping = true;
        LockSupport.unpark(thread);
        Joins.uninterruptibly(thread);
    }

    /** Stops the thread; the owner closes the arena afterwards. */
    @Override
    public void close() {
        stop();
    }
}
