package dev.ferry.blockmig;

import dev.ferry.vm.block.Allocation;
import dev.ferry.vm.block.BlockDevice;
import dev.ferry.vm.block.Extent;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Optional;
import java.util.concurrent.atomic.LongAdder;

/**
 * The source side of one disk's copy: a bulk pass over every chunk to copy, then passes over the
 * chunks the guest dirtied meanwhile, then, with the guest paused, the last dirty chunks. A write
 * observer registered at {@link #start} feeds the dirty bitmap and throttles a guest that dirties
 * faster than the copy sends; {@link #close} unregisters it whatever happened.
 *
 * <p>{@link #iterate} and {@link #complete} run on one migration thread; {@link #stats} may be
 * called from any thread.
 */
public final class DiskMigration implements AutoCloseable {

    /** Where a disk's copy is. */
    public enum Phase { BULK, DIRTY, COMPLETE }

    /** What a zero marker costs on the wire, roughly: budgets count it so zero runs are not free. */
    static final long MARKER_BYTES = 24;
    /** Dirty passes that do not shrink the dirty set before the throttle goes one level up. */
    private static final int STALLED_PASSES = 2;

    private final BlockDevice device;
    private final DiskSpec spec;
    private final int chunkShift;
    private final DirtyBitmap bulk;
    private final DirtyBitmap dirty;
    private final ChunkDigests digests;
    private final WriteThrottle throttle = new WriteThrottle();
    private final Arena arena = Arena.ofShared();
    private final MemorySegment buffer;
    private final LongAdder dirtiedBytes = new LongAdder();
    private final long totalBytes;
    private final BlockDevice.Registration registration;

    private volatile Phase phase = Phase.BULK;
    private long bulkCursor;
    private long dirtyCursor;
    private volatile long convergenceTarget;
    private volatile long transferred;
    private volatile long zeroChunks;
    private volatile long passes;
    private volatile long dirtyRate;
    private volatile long sendRate;
    private long phaseStartNanos = System.nanoTime();
    private long phaseStartTransferred;
    private long passDirtiedStart;
    private long lastPassRemaining = Long.MAX_VALUE;
    private int stalls;
    private boolean closed;

    private DiskMigration(String drive, BlockDevice device, CopyMode mode, int chunkSize,
                          BackingIdentity.Check check) throws IOException {
        this.device = device;
        Optional<BackingIdentity> backing = Optional.empty();
        if (mode == CopyMode.INCREMENTAL) {
            BlockDevice base = device.backing().orElseThrow(() -> new BlockMigrationException("drive " + drive
                    + ": incremental copy needs an image with a backing file, " + device.path() + " has none"));
            backing = Optional.of(BackingIdentity.of(base, check));
        }
        this.spec = new DiskSpec(drive, device.size(), device.format(), mode, chunkSize, backing);
        this.chunkShift = Integer.numberOfTrailingZeros(chunkSize);
        this.bulk = new DirtyBitmap(device.size(), chunkSize);
        this.dirty = new DirtyBitmap(device.size(), chunkSize);
        this.digests = new ChunkDigests(device.size(), chunkSize);
        this.buffer = arena.allocate(chunkSize, 4096);
        // Observe before scanning, so that a write landing during the scan is never missed.
        this.registration = device.observe(this::written);
        try {
            if (mode == CopyMode.FULL) {
                bulk.setAll();
            } else {
                markTopLayer();
            }
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
        this.totalBytes = bulk.count() * chunkSize;
    }

    /**
     * Starts tracking {@code device}'s writes and plans its bulk pass. An incremental copy computes
     * the backing identity with {@code check} now, so the destination can refuse before data moves.
     */
    public static DiskMigration start(String drive, BlockDevice device, CopyMode mode, int chunkSize,
                                      BackingIdentity.Check check) throws IOException {
        return new DiskMigration(drive, device, mode, chunkSize, check);
    }

    private void markTopLayer() throws IOException {
        long size = device.size();
        for (long at = 0; at < size; ) {
            Extent extent = device.allocation(at, size - at);
            if (extent.allocation() != Allocation.BACKING) {
                bulk.mark(extent.offset(), extent.length());
            }
            at = extent.end();
        }
    }

    private void written(long offset, long length) {
        long fresh = dirty.mark(offset, length, bulk);
        if (fresh > 0) {
            long bytes = fresh << chunkShift;
            dirtiedBytes.add(bytes);
            throttle.dirtied(bytes);
        }
    }

    /** What the destination must know and check before data moves. */
    public DiskSpec spec() {
        return spec;
    }

    public Phase phase() {
        return phase;
    }

    /** Bytes still to send: unsent bulk chunks plus dirty chunks. */
    public long pendingBytes() {
        return (bulk.count() + dirty.count()) << chunkShift;
    }

    /**
     * Sets what counts as converged, usually bandwidth × downtime limit: while more than this is
     * pending and dirty passes stop shrinking it, the guest's writes are throttled harder.
     */
    public void convergenceTarget(long bytes) {
        convergenceTarget = bytes;
    }

    /** The driver's stall guard: the copy is not converging, throttle the guest one level more. */
    public boolean notConverging() {
        return throttle.raise();
    }

    /**
     * Sends chunks until about {@code budgetBytes} went to {@code sink} or nothing is pending;
     * returns the bytes sent.
     */
    public long iterate(ChunkSink sink, long budgetBytes) throws IOException {
        long sent = 0;
        while (sent < budgetBytes) {
            if (phase == Phase.BULK) {
                long chunk = bulk.takeNext(bulkCursor);
                if (chunk < 0) {
                    endPhase(Phase.DIRTY);
                    continue;
                }
                bulkCursor = chunk + 1;
                dirty.clear(chunk);
                sent += copy(chunk, sink);
            } else {
                long chunk = dirty.takeNext(dirtyCursor);
                if (chunk < 0) {
                    if (dirtyCursor == 0) {
                        break;
                    }
                    endPass();
                    continue;
                }
                dirtyCursor = chunk + 1;
                sent += copy(chunk, sink);
            }
        }
        return sent;
    }

    /** Sends everything still pending; call with the guest paused. Afterwards {@link #digest()} is final. */
    public void complete(ChunkSink sink) throws IOException {
        iterate(sink, Long.MAX_VALUE);
        phase = Phase.COMPLETE;
        throttle.release();
    }

    /** The verification digest of what was sent; after {@link #complete} it is the disk's content. */
    public String digest() {
        return digests.digest();
    }

    private void endPhase(Phase next) {
        long now = System.nanoTime();
        double seconds = Math.max(1e-9, (now - phaseStartNanos) / 1e9);
        sendRate = (long) ((transferred - phaseStartTransferred) / seconds);
        throttle.sendRate(sendRate);
        phaseStartNanos = now;
        phaseStartTransferred = transferred;
        phase = next;
        passDirtiedStart = dirtiedBytes.sum();
    }

    private void endPass() {
        long seconds = Math.max(1, System.nanoTime() - phaseStartNanos);
        long dirtied = dirtiedBytes.sum();
        dirtyRate = (long) ((dirtied - passDirtiedStart) * 1e9 / seconds);
        endPhase(Phase.DIRTY);
        dirtyCursor = 0;
        passes++;
        long remaining = pendingBytes();
        if (remaining > convergenceTarget && remaining >= lastPassRemaining) {
            if (++stalls >= STALLED_PASSES) {
                throttle.raise();
                stalls = 0;
            }
        } else {
            stalls = 0;
        }
        lastPassRemaining = remaining;
    }

    /** Copies one chunk whose bits are already clear; returns the bytes it cost on the wire. */
    private long copy(long chunk, ChunkSink sink) throws IOException {
        long start = chunk << chunkShift;
        long end = Math.min(start + buffer.byteSize(), device.size());
        MemorySegment content = buffer.asSlice(0, end - start);
        device.read(start, content);
        long wire = 0;
        Extent next = device.allocation(start, end - start);
        while (next != null) {
            Kind kind = kind(next.allocation());
            long runStart = next.offset();
            long runEnd = next.end();
            next = null;
            // Merge following extents of the same kind into one message.
            while (runEnd < end) {
                Extent following = device.allocation(runEnd, end - runEnd);
                if (kind(following.allocation()) != kind) {
                    next = following;
                    break;
                }
                runEnd = following.end();
            }
            wire += send(kind, content.asSlice(runStart - start, runEnd - runStart), runStart, sink);
        }
        if (wire > 0) {
            digests.record(chunk, content);
            transferred += wire;
        }
        return wire;
    }

    private long send(Kind kind, MemorySegment bytes, long offset, ChunkSink sink) throws IOException {
        switch (kind) {
            case SKIP -> {
                return 0;
            }
            case DATA -> {
                if (!ZeroChunks.isZero(bytes)) {
                    sink.data(offset, bytes);
                    return bytes.byteSize();
                }
            }
            case ZERO -> { }
        }
        sink.zeroes(offset, bytes.byteSize());
        zeroChunks++;
        return MARKER_BYTES;
    }

    private enum Kind { DATA, ZERO, SKIP }

    private Kind kind(Allocation allocation) {
        return switch (allocation) {
            case DATA -> Kind.DATA;
            case ZERO -> Kind.ZERO;
            case BACKING -> spec.mode() == CopyMode.FULL ? Kind.DATA : Kind.SKIP;
        };
    }

    public DiskStats stats() {
        return new DiskStats(spec.drive(), phase, totalBytes, transferred, pendingBytes(), zeroChunks, passes,
                dirtyRate, sendRate, throttle.percent());
    }

    /** Stops observing the guest's writes and lets any throttled writer go; the device stays open. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        throttle.release();
        if (registration != null) {
            registration.close();
        }
        arena.close();
    }
}
