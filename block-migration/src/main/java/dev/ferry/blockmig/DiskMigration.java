package dev.ferry.blockmig;

import dev.ferry.vm.block.Allocation;
import dev.ferry.vm.block.BlockDevice;
import dev.ferry.vm.block.Extent;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
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

    /**
     * Bytes read first from a data run: if they are not all zero neither is the run, which then
     * is read straight into the sink's room; otherwise the run is read here and checked whole.
     */
    private static final int PROBE_BYTES = 4096;
    /** How long a phase must have run before its send rate is trusted to size the throttle. */
    private static final long RATE_WINDOW_NANOS = 50_000_000L;

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
    private volatile long transferred;
    private volatile long zeroChunks;
    private volatile long passes;
    private volatile long dirtyRate;
    private volatile long sendRate;
    private long phaseStartNanos = System.nanoTime();
    private long phaseStartTransferred;
    private long passDirtiedStart;
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
     * The driver's stall guard fired for the {@code level}-th time: the copy is not converging.
     * A disk with something pending throttles its guest's writes to match (20% at level 1, one
     * step more per level, up to 99%); a disk the guest leaves alone stays free.
     */
    public void notConverging(int level) {
        if (pendingBytes() > 0) {
            throttle.raiseTo(level);
        }
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
        long elapsed = System.nanoTime() - phaseStartNanos;
        if (elapsed > RATE_WINDOW_NANOS) {
            throttle.sendRate((transferred - phaseStartTransferred) * 1e9 / elapsed);
        }
        return sent;
    }

    /**
     * Lets every throttled writer go, now and from now on: call right before the guest pauses,
     * so the pause does not wait out a throttle delay.
     */
    public void stopThrottling() {
        throttle.release();
    }

    /**
     * Sends everything still pending in one sweep (so it ends even if someone still writes);
     * call with the guest paused. Afterwards {@link #digest()} is final.
     */
    public void complete(ChunkSink sink) throws IOException {
        throttle.release();
        for (long chunk = bulk.takeNext(bulkCursor); chunk >= 0; chunk = bulk.takeNext(chunk + 1)) {
            dirty.clear(chunk);
            copy(chunk, sink);
        }
        for (long chunk = dirty.takeNext(0); chunk >= 0; chunk = dirty.takeNext(chunk + 1)) {
            copy(chunk, sink);
        }
        phase = Phase.COMPLETE;
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
    }

    /**
     * Copies one chunk whose bits are already clear; returns the bytes it cost on the wire. The
     * chunk's digest covers all of it, the parts an incremental copy leaves to the backing file
     * included, as the destination reads its chunk back through its own backing file.
     */
    private long copy(long chunk, ChunkSink sink) throws IOException {
        long start = chunk << chunkShift;
        long end = Math.min(start + buffer.byteSize(), device.size());
        List<Run> runs = runs(start, end);
        if (runs.stream().allMatch(run -> run.kind == Kind.SKIP)) {
            return 0;
        }
        long wire = 0;
        for (Run run : runs) {
            wire += send(run, sink);
        }
        digests.finish(chunk);
        transferred += wire;
        return wire;
    }

    private enum Kind { DATA, ZERO, SKIP }

    /** A range of one kind: following extents of the same kind are merged into one message. */
    private record Run(Kind kind, long offset, long length) {
    }

    private List<Run> runs(long start, long end) throws IOException {
        List<Run> runs = new ArrayList<>(2);
        for (long at = start; at < end; ) {
            Extent extent = device.allocation(at, end - at);
            Kind kind = kind(extent.allocation());
            Run last = runs.isEmpty() ? null : runs.getLast();
            if (last != null && last.kind == kind) {
                runs.set(runs.size() - 1, new Run(kind, last.offset, extent.end() - last.offset));
            } else {
                runs.add(new Run(kind, at, extent.length()));
            }
            at = extent.end();
        }
        return runs;
    }

    private Kind kind(Allocation allocation) {
        return switch (allocation) {
            case DATA -> Kind.DATA;
            case ZERO -> Kind.ZERO;
            case BACKING -> spec.mode() == CopyMode.FULL ? Kind.DATA : Kind.SKIP;
        };
    }

    private long send(Run run, ChunkSink sink) throws IOException {
        switch (run.kind) {
            case SKIP -> {
                // Not sent, but hashed: the destination's backing file supplies the same bytes.
                MemorySegment content = buffer.asSlice(0, run.length);
                device.read(run.offset, content);
                digests.update(content);
                return 0;
            }
            case DATA -> {
                if (sendData(run, sink)) {
                    return run.length + BlockWire.DATA_HEADER_BYTES;
                }
            }
            case ZERO -> digests.updateZeroes(run.length);
        }
        sink.zeroes(run.offset, run.length);
        zeroChunks++;
        return BlockWire.MARKER_BYTES;
    }

    /**
     * Sends a data run unless it reads as all zeroes (then hashes it and returns false). A run
     * whose first bytes are not zero is read straight into the sink's room: no copy here.
     */
    private boolean sendData(Run run, ChunkSink sink) throws IOException {
        long probe = Math.min(PROBE_BYTES, run.length);
        MemorySegment head = buffer.asSlice(0, probe);
        device.read(run.offset, head);
        if (!ZeroChunks.isZero(head)) {
            sink.data(run.offset, run.length, (offset, room) -> {
                device.read(offset, room);
                digests.update(room);
            });
            return true;
        }
        MemorySegment content = buffer.asSlice(0, run.length);
        if (run.length > probe) {
            device.read(run.offset + probe, content.asSlice(probe));
        }
        digests.update(content);
        if (ZeroChunks.isZero(content)) {
            return false;
        }
        sink.data(run.offset, run.length, (offset, room) ->
                MemorySegment.copy(content, offset - run.offset, room, 0, room.byteSize()));
        return true;
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
