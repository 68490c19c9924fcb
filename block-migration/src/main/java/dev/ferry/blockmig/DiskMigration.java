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
import java.util.UUID;
import java.util.concurrent.atomic.LongAdder;

/**
 * The source side of one disk's copy: a bulk pass over every chunk to copy, then passes over the
 * granules the guest dirtied meanwhile, then, with the guest paused, the last dirty granules. A
 * write observer registered at {@link #start} feeds the dirty bitmap and throttles a guest that
 * dirties faster than the copy sends; {@link #close} unregisters it whatever happened.
 *
 * <p>The bulk pass reads whole chunks (large I/O); dirty writes are tracked and re-sent in
 * granules of {@link CopyOptions#granularity()} (4 KiB by default), so a random 4 KiB write costs
 * 4 KiB on the wire, not a chunk. Consecutive dirty granules of one chunk travel as one range.
 * The digest is kept per {@link DiskSpec#hashGranularity()} bytes: a re-sent range re-hashes the
 * hash granules around it, read back from the image, as the destination does.
 *
 * <p>{@link #iterate} and {@link #complete} run on one migration thread; {@link #stats} may be
 * called from any thread.
 */
public final class DiskMigration implements AutoCloseable {

    /** Where a disk's copy is. */
    public enum Phase {
        /** The first pass, over every chunk of the disk. */
        BULK,
        /** Passes over the granules the guest wrote after they were sent. */
        DIRTY,
        /** The final sweep is done: the digest is final. */
        COMPLETE
    }

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
    private final int granuleShift;
    private final int hashGranularity;
    private final DirtyBitmap bulk;
    private final DirtyBitmap dirty;
    /**
     * Granules the dirty passes sent on the current link: if it breaks, the destination may hold
     * an older copy of them, so a resume sends them again ({@link #resume}).
     */
    private final DirtyBitmap resentOnLink;
    private final ChunkDigests digests;
    private final WriteThrottle throttle = new WriteThrottle();
    private final Arena arena = Arena.ofShared();
    private final MemorySegment buffer;
    /** Incremental only: the backing file, and room to compare an allocated range with it. */
    private final Optional<BlockDevice> base;
    private final MemorySegment topCopy;
    private final MemorySegment baseCopy;
    private final LongAdder dirtiedBytes = new LongAdder();
    private final long totalBytes;
    private final BlockDevice.Registration registration;

    private volatile Phase phase = Phase.BULK;
    private long bulkCursor;
    private long dirtyCursor;
    private volatile long transferred;
    private volatile long resent;
    private volatile long zeroChunks;
    private volatile long passes;
    private volatile long dirtyRate;
    private volatile long sendRate;
    private long phaseStartNanos = System.nanoTime();
    private long phaseStartTransferred;
    private long passDirtiedStart;
    private boolean closed;

    private DiskMigration(String drive, BlockDevice device, CopyMode mode, int chunkSize, int granularity, UUID migrationId)
            throws IOException {
        DiskCopyRehearsal.copyBegins(device);
        this.device = device;
        Optional<BackingIdentity> backing = Optional.empty();
        if (mode == CopyMode.INCREMENTAL) {
            BlockDevice base = device.backing().orElseThrow(() -> new BlockMigrationException("drive " + drive
                    + ": incremental copy needs an image with a backing file, " + device.path() + " has none"));
            backing = Optional.of(BackingIdentity.of(base));
        }
        this.hashGranularity = DiskSpec.hashGranularityFor(device.size(), chunkSize);
        this.spec = new DiskSpec(drive, device.size(), device.format(), mode, chunkSize, hashGranularity, backing,
                migrationId.toString());
        this.chunkShift = Integer.numberOfTrailingZeros(chunkSize);
        this.granuleShift = Integer.numberOfTrailingZeros(granularity);
        this.bulk = new DirtyBitmap(device.size(), chunkSize);
        this.dirty = new DirtyBitmap(device.size(), granularity);
        this.resentOnLink = new DirtyBitmap(device.size(), granularity);
        this.digests = new ChunkDigests(device.size(), hashGranularity, arena);
        this.buffer = arena.allocate(chunkSize, 4096);
        this.base = mode == CopyMode.INCREMENTAL ? device.backing() : Optional.empty();
        this.topCopy = base.isPresent() ? arena.allocate(chunkSize, 4096) : MemorySegment.NULL;
        this.baseCopy = base.isPresent() ? arena.allocate(chunkSize, 4096) : MemorySegment.NULL;
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
     * Starts tracking {@code device}'s writes in granules of {@code options.granularity()} and
     * plans its bulk pass in chunks of {@code options.chunkSize()}. An incremental copy computes
     * the backing identity now, so the destination can refuse before data moves.
     *
     * @param drive the drive id
     * @param device the image the guest keeps writing
     * @param options copy mode, chunk size and granularity
     * @return the copy, in the bulk phase
     * @throws IOException if the device cannot be read or, for an incremental copy, its backing identity
     *         cannot be computed
     */
    public static DiskMigration start(String drive, BlockDevice device, CopyOptions options) throws IOException {
        return start(drive, device, options, UUID.randomUUID());
    }

    /** Like {@link #start(String, BlockDevice, CopyOptions)}, as one disk of migration {@code migrationId}. */
    static DiskMigration start(String drive, BlockDevice device, CopyOptions options, UUID migrationId) throws IOException {
        return new DiskMigration(drive, device, options.mode(), options.chunkSize(), options.granularity(), migrationId);
    }

    /**
     * After a broken link, before the copy goes on over a new one: marks pending again every
     * granule {@code held} lacks (unless the bulk pass has not reached it yet) and every granule
     * the dirty passes sent on the broken link (it may have been lost after an older copy
     * arrived). What the guest dirtied meanwhile is pending already: tracking never stopped.
     *
     * @param held what the destination holds of this disk, checked against {@link #spec} by the caller
     */
    void resume(DriveGranules held) {
        long granule = held.granuleSize();
        for (long g = 0, granules = held.granules(); g < granules; g++) {
            if (!held.has(g)) {
                dirty.mark(g * granule, Math.min(granule, device.size() - g * granule), bulk);
            }
        }
        for (long g = resentOnLink.takeNext(0); g >= 0; g = resentOnLink.takeNext(g + 1)) {
            dirty.mark(g << granuleShift, 1L << granuleShift, bulk);
        }
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
            long bytes = fresh << granuleShift;
            dirtiedBytes.add(bytes);
            throttle.dirtied(bytes);
        }
    }

    /**
     * What the destination must know and check before data moves.
     *
     * @return the disk's spec
     */
    public DiskSpec spec() {
        return spec;
    }

    /**
     * Where the copy is now; safe from any thread.
     *
     * @return the phase
     */
    public Phase phase() {
        return phase;
    }

    /**
     * Bytes still to send: unsent bulk chunks plus dirty granules.
     *
     * @return bytes
     */
    public long pendingBytes() {
        return (bulk.count() << chunkShift) + (dirty.count() << granuleShift);
    }

    /**
     * The driver's stall guard fired for the {@code level}-th time: the copy is not converging.
     * A disk with something pending throttles its guest's writes to match (20% at level 1, one
     * step more per level, up to 99%); a disk the guest leaves alone stays free.
     *
     * @param level the stall count, 1 or more
     */
    public void notConverging(int level) {
        if (pendingBytes() > 0) {
            throttle.raiseTo(level);
        }
    }

    /**
     * Copies until about {@code budgetBytes} of the disk were covered (read and sent, or sent as
     * a zero marker: a zero chunk costs little on the wire but still costs its scan), until the
     * end of the bulk pass or of a dirty pass, or until nothing is pending, so that the driver
     * weighs what is pending between passes; returns the bytes sent.
     *
     * @param sink where chunks and zero markers go
     * @param budgetBytes disk bytes to cover this call, positive
     * @return stream bytes sent by this call, chunk headers and zero markers included
     * @throws IOException if the device cannot be read or the sink fails
     */
    public long iterate(ChunkSink sink, long budgetBytes) throws IOException {
        long sentBefore = transferred;
        for (long covered = 0; covered < budgetBytes; ) {
            long step = phase == Phase.BULK ? bulkStep(sink) : dirtyStep(sink);
            if (step < 0) {
                break;
            }
            covered += step;
        }
        long elapsed = System.nanoTime() - phaseStartNanos;
        if (elapsed > RATE_WINDOW_NANOS) {
            throttle.sendRate((transferred - phaseStartTransferred) * 1e9 / elapsed);
        }
        return transferred - sentBefore;
    }

    /** The link is down and nothing is copied: the guest writes unthrottled until {@link #notConverging} again. */
    public void copyHeld() {
        throttle.lift();
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
     *
     * @param sink where chunks and zero markers go
     * @throws IOException if the device cannot be read or the sink fails
     */
    public void complete(ChunkSink sink) throws IOException {
        throttle.release();
        while (phase == Phase.BULK) {
            bulkStep(sink);
        }
        dirtyCursor = 0;
        while (dirtyStep(sink) >= 0) {
            // one sweep from the start: the cursor only moves forward
        }
        phase = Phase.COMPLETE;
    }

    /**
     * The verification digest of what was sent; after {@link #complete} it is the disk's content.
     *
     * @return hex digest
     */
    public String digest() {
        return digests.digest();
    }

    /**
     * Copies the next chunk of the bulk pass and returns the bytes it covered, or ends the bulk
     * pass and returns -1. The chunk's dirty granules are cleared first: it is read whole now.
     */
    private long bulkStep(ChunkSink sink) throws IOException {
        long chunk = bulk.takeNext(bulkCursor);
        if (chunk < 0) {
            endPhase();
            return -1;
        }
        bulkCursor = chunk + 1;
        long start = chunk << chunkShift;
        long end = Math.min(start + buffer.byteSize(), device.size());
        dirty.clear(start >>> granuleShift, (end + (1L << granuleShift) - 1) >>> granuleShift);
        copy(start, end, base.isPresent() ? withoutBackingCopies(runs(start, end)) : runs(start, end), sink);
        return end - start;
    }

    /**
     * Copies the next run of dirty granules (consecutive, inside one chunk) and returns the bytes
     * it covered, or ends the pass and returns -1 when none is left after the cursor.
     */
    private long dirtyStep(ChunkSink sink) throws IOException {
        long first = dirty.takeNext(dirtyCursor);
        if (first < 0) {
            if (dirtyCursor > 0) {
                endPass();
            }
            return -1;
        }
        int perChunkShift = chunkShift - granuleShift;
        long chunkLast = Math.min((((first >>> perChunkShift) + 1) << perChunkShift) - 1, dirty.chunks() - 1);
        long last = first;
        while (last < chunkLast && dirty.clear(last + 1)) {
            last++;
        }
        dirtyCursor = last + 1;
        long start = first << granuleShift;
        long end = Math.min((last + 1) << granuleShift, device.size());
        // A full copy sends what the guest wrote as data (zeroes still become a marker), without
        // asking the image where its data is: that costs syscalls per granule, the bulk of a small run.
        copy(start, end, spec.mode() == CopyMode.FULL ? List.of(new Run(Kind.DATA, start, end - start)) : runs(start, end),
                sink);
        resentOnLink.mark(start, end - start);
        resent += end - start;
        return end - start;
    }

    private void endPhase() {
        long now = System.nanoTime();
        double seconds = Math.max(1e-9, (now - phaseStartNanos) / 1e9);
        sendRate = (long) ((transferred - phaseStartTransferred) / seconds);
        throttle.sendRate(sendRate);
        phaseStartNanos = now;
        phaseStartTransferred = transferred;
        phase = Phase.DIRTY;
        passDirtiedStart = dirtiedBytes.sum();
    }

    private void endPass() {
        long seconds = Math.max(1, System.nanoTime() - phaseStartNanos);
        long dirtied = dirtiedBytes.sum();
        dirtyRate = (long) ((dirtied - passDirtiedStart) * 1e9 / seconds);
        endPhase();
        dirtyCursor = 0;
        passes++;
    }

    /**
     * Copies {@code [start, end)}, inside one chunk, whose dirty bits are already clear, as
     * {@code runs} describe it. Each
     * hash granule with something of the top layer in it is hashed whole, the parts an
     * incremental copy leaves to the backing file included, as the destination reads it back
     * through its own backing file; a range all backing file is neither sent nor hashed. A range
     * of whole hash granules is hashed as it is sent; a smaller one is sent, then the granules
     * around it are read back and hashed.
     */
    private void copy(long start, long end, List<Run> runs, ChunkSink sink) throws IOException {
        if (runs.stream().allMatch(run -> run.kind == Kind.SKIP)) {
            return;
        }
        boolean whole = start % hashGranularity == 0 && (end % hashGranularity == 0 || end == device.size());
        for (Run run : runs) {
            transferred += send(run, runs, sink, whole);
        }
        if (!whole) {
            long from = start - start % hashGranularity;
            MemorySegment around = buffer.asSlice(0, Math.min(end + hashGranularity - 1 - (end - 1) % hashGranularity,
                    device.size()) - from);
            device.read(from, around);
            digests.add(from, around);
        }
    }

    private enum Kind { DATA, ZERO, SKIP }

    /**
     * A range of one kind: following extents of the same kind are merged into one message. A data
     * run the comparison with the backing file already read has its bytes at {@code copied} in
     * {@code topCopy}, so they are not read again; otherwise {@code copied} is -1.
     */
    private record Run(Kind kind, long offset, long length, long copied) {

        Run(Kind kind, long offset, long length) {
            this(kind, offset, length, -1);
        }

        long end() {
            return offset + length;
        }
    }

    private List<Run> runs(long start, long end) throws IOException {
        List<Run> runs = new ArrayList<>(2);
        for (long at = start; at < end; ) {
            Extent extent = device.allocation(at, end - at);
            append(runs, kind(extent.allocation()), at, extent.end());
            at = extent.end();
        }
        return runs;
    }

    /**
     * The bulk pass of an incremental copy sends, of each range the top layer holds, only the
     * granules that differ from the backing file: a 4 KiB write into an unallocated qcow2 cluster
     * made the layer copy the rest of the cluster from the backing file, and the destination's
     * overlay reads those bytes from its own, identical backing file (checked by
     * {@link BackingIdentity}). Only the first time a chunk is sent: a granule re-sent later may
     * have reached the destination with other bytes before, so the dirty passes send what they find.
     */
    private List<Run> withoutBackingCopies(List<Run> runs) throws IOException {
        BlockDevice backing = base.orElseThrow();
        List<Run> refined = new ArrayList<>(runs.size());
        for (Run run : runs) {
            long comparable = Math.min(run.end(), backing.size()) - run.offset;
            if (run.kind != Kind.DATA || comparable <= 0) {
                append(refined, run.kind, run.offset, run.end());
                continue;
            }
            // Each run at its place in the chunk: the runs are sent after all of them were compared.
            long inChunk = run.offset & ((1L << chunkShift) - 1);
            MemorySegment top = topCopy.asSlice(inChunk, comparable);
            MemorySegment below = baseCopy.asSlice(inChunk, comparable);
            device.read(run.offset, top);
            backing.read(run.offset, below);
            long granule = 1L << granuleShift;
            for (long at = 0; at < comparable; ) {
                long to = Math.min(comparable, ((run.offset + at) & -granule) + granule - run.offset);
                boolean same = MemorySegment.mismatch(top, at, to, below, at, to) == -1;
                append(refined, same ? Kind.SKIP : Kind.DATA, run.offset + at, run.offset + to, same ? -1 : inChunk + at);
                at = to;
            }
            if (comparable < run.length) {
                append(refined, Kind.DATA, run.offset + comparable, run.end());
            }
        }
        return refined;
    }

    /** Adds {@code [from, to)} of {@code kind}, merged into the last run if that has the same kind. */
    private static void append(List<Run> runs, Kind kind, long from, long to) {
        append(runs, kind, from, to, -1);
    }

    /** Likewise for a range whose bytes are at {@code copied} in {@code topCopy} (-1: not read yet). */
    private static void append(List<Run> runs, Kind kind, long from, long to, long copied) {
        Run last = runs.isEmpty() ? null : runs.getLast();
        if (last != null && last.kind == kind && last.end() == from && (last.copied < 0) == (copied < 0)) {
            runs.set(runs.size() - 1, new Run(kind, last.offset, to - last.offset, last.copied));
        } else {
            runs.add(new Run(kind, from, to - from, copied));
        }
    }

    private Kind kind(Allocation allocation) {
        return switch (allocation) {
            case DATA -> Kind.DATA;
            case ZERO -> Kind.ZERO;
            case BACKING -> spec.mode() == CopyMode.FULL ? Kind.DATA : Kind.SKIP;
        };
    }

    /**
     * Sends one run (the backing file's parts are not sent) and, with {@code hash}, hashes it;
     * returns what it cost on the wire.
     */
    private long send(Run run, List<Run> runs, ChunkSink sink, boolean hash) throws IOException {
        switch (run.kind) {
            case SKIP -> {
                if (hash) {
                    hashBacking(run, runs);
                }
                return 0;
            }
            case DATA -> {
                if (sendData(run, sink, hash)) {
                    return run.length + BlockWire.DATA_HEADER_BYTES;
                }
            }
            case ZERO -> {
                if (hash) {
                    digests.addZeroes(run.offset, run.length);
                }
            }
        }
        sink.zeroes(run.offset, run.length);
        zeroChunks++;
        return BlockWire.MARKER_BYTES;
    }

    /**
     * Not sent, but hashed where a granule also holds top-layer bytes: the destination's backing
     * file supplies the same bytes, and it hashes every granule it received anything for whole.
     */
    private void hashBacking(Run run, List<Run> runs) throws IOException {
        long granule = hashGranularity;
        for (long at = run.offset; at < run.end(); ) {
            long granuleStart = at & -granule;
            long to = Math.min(granuleStart + granule, run.end());
            if (runs.stream().anyMatch(r -> r.kind != Kind.SKIP && r.offset < granuleStart + granule && r.end() > granuleStart)) {
                MemorySegment content = buffer.asSlice(0, to - at);
                device.read(at, content);
                digests.add(at, content);
            }
            at = to;
        }
    }

    /**
     * Sends a data run unless it reads as all zeroes (then returns false), hashing it with
     * {@code hash}. A run whose first bytes are not zero is read straight into the sink's room:
     * no copy here.
     */
    private boolean sendData(Run run, ChunkSink sink, boolean hash) throws IOException {
        if (run.copied >= 0) {
            return sendContent(run, topCopy.asSlice(run.copied, run.length), sink, hash);
        }
        long probe = Math.min(PROBE_BYTES, run.length);
        MemorySegment head = buffer.asSlice(0, probe);
        device.read(run.offset, head);
        if (!ZeroChunks.isZero(head) && run.length > probe) {
            sink.data(run.offset, run.length, (offset, room) -> {
                device.read(offset, room);
                if (hash) {
                    digests.add(offset, room);
                }
            });
            return true;
        }
        MemorySegment content = buffer.asSlice(0, run.length);
        if (run.length > probe) {
            device.read(run.offset + probe, content.asSlice(probe));
        }
        // A short run (a page re-sent) is whole in the probe already: sent from here, not read again.
        return sendContent(run, content, sink, hash);
    }

    /** Sends {@code run}, whose bytes are {@code content}, unless they are all zero (then returns false). */
    private boolean sendContent(Run run, MemorySegment content, ChunkSink sink, boolean hash) throws IOException {
        if (hash) {
            digests.add(run.offset, content);
        }
        if (ZeroChunks.isZero(content)) {
            return false;
        }
        sink.data(run.offset, run.length, (offset, room) ->
                MemorySegment.copy(content, offset - run.offset, room, 0, room.byteSize()));
        return true;
    }

    /**
     * This disk's progress now; safe from any thread.
     *
     * @return a snapshot
     */
    public DiskStats stats() {
        return new DiskStats(spec.drive(), phase, totalBytes, transferred, resent, pendingBytes(), zeroChunks, passes,
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
