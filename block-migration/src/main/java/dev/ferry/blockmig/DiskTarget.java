package dev.ferry.blockmig;

import dev.ferry.vm.block.BlockDevice;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.UUID;

/**
 * The destination side of one disk's copy: checks its image against the source's {@link DiskSpec}
 * before anything is written, applies what arrives, and hashes what it holds so the switch can
 * compare digests. The granules a message wrote are read back from the image and hashed beside
 * the copy, and swept again while it runs ({@link ReadBackVerifier}), so the digest covers the
 * image, not just the bytes that arrived, and the switch reads back only the last pass's
 * granules. The image is flushed in the background as data arrives ({@link BackgroundFlush}), so
 * {@link #flush} at the switch is short.
 */
public final class DiskTarget implements ChunkSink, AutoCloseable {

    private final DiskSpec spec;
    private final BlockDevice device;
    private final boolean ownsDevice;
    private final Arena arena;
    private final MemorySegment buffer;
    private final BackgroundFlush background;
    private final ReadBackVerifier verifier;
    /** The granules written so far, what a resume after a broken link need not bring again. */
    private final ReceivedGranules received;
    private boolean closed;

    /**
     * Takes {@code device} as the destination of {@code spec}'s disk; fails, naming the file and
     * both values, if its size, format or backing file differ from the source's.
     *
     * @param spec what the source sends
     * @param device a writable image; the caller keeps it open and closes it
     * @throws IOException if the image is read-only, or its size, format or backing differ
     */
    public DiskTarget(DiskSpec spec, BlockDevice device) throws IOException {
        this(spec, device, false);
    }

    /** Like {@link #DiskTarget(DiskSpec, BlockDevice)}; with {@code ownsDevice}, {@link #close} closes the device. */
    DiskTarget(DiskSpec spec, BlockDevice device, boolean ownsDevice) throws IOException {
        this.spec = spec;
        this.device = device;
        this.ownsDevice = ownsDevice;
        String drive = spec.drive();
        if (device.readOnly()) {
            throw new BlockMigrationException("drive " + drive + ": destination image " + device.path() + " is read-only");
        }
        if (device.size() != spec.size()) {
            throw new BlockMigrationException("drive " + drive + ": destination image " + device.path() + " has size "
                    + device.size() + " bytes, the source disk has " + spec.size());
        }
        if (device.format() != spec.format()) {
            throw new BlockMigrationException("drive " + drive + ": destination image " + device.path() + " is "
                    + device.format().id() + ", the source disk is " + spec.format().id());
        }
        if (spec.backing().isPresent()) {
            BackingIdentity source = spec.backing().get();
            BlockDevice base = device.backing().orElseThrow(() -> new BlockMigrationException("drive " + drive
                    + ": incremental copy needs an overlay, destination image " + device.path() + " has no backing file"));
            source.requireSame(BackingIdentity.of(base), drive, base.path().toString());
        }
        this.arena = Arena.ofShared();
        this.buffer = arena.allocate(spec.chunkSize(), 4096);
        this.background = new BackgroundFlush(device, drive);
        this.verifier = new ReadBackVerifier(spec, device, arena);
        checkMigrationId(spec);
        this.received = new ReceivedGranules(drive, spec.size(), spec.hashGranularity());
    }

    /** A resume names the migration by this id (BlockTargetSection reads it back): refuse what is not one. */
    private static void checkMigrationId(DiskSpec spec) throws BlockMigrationException {
        try {
            UUID.fromString(spec.migrationId());
        } catch (IllegalArgumentException e) {
            throw new BlockMigrationException("drive " + spec.drive() + ": migration id " + spec.migrationId() + " is not a UUID");
        }
    }

    /** What this image holds of the copy so far, in hash granules, for a resuming source. */
    DriveGranules held() {
        return received.snapshot();
    }

    /**
     * What the source sends.
     *
     * @return the spec
     */
    public DiskSpec spec() {
        return spec;
    }

    /**
     * The destination image.
     *
     * @return the image
     */
    public BlockDevice device() {
        return device;
    }

    /**
     * Writes {@code bytes} that arrived for {@code offset}, which must lie inside one chunk.
     *
     * @param offset the disk offset of the first byte
     * @param bytes the data
     * @throws IOException if the write fails or leaves the chunk
     */
    public void write(long offset, MemorySegment bytes) throws IOException {
        check(offset, bytes.byteSize());
        device.write(offset, bytes);
        received.markWritten(offset, bytes.byteSize());
        verifier.written(offset, bytes.byteSize());
        background.written(bytes.byteSize());
    }

    /** In-process copy: the source fills this side's buffer, which is then written. */
    @Override
    public void data(long offset, long length, Fill fill) throws IOException {
        check(offset, length);
        MemorySegment room = buffer.asSlice(0, length);
        fill.into(offset, room);
        device.write(offset, room);
        received.markWritten(offset, length);
        verifier.written(offset, length);
        background.written(length);
    }

    @Override
    public void zeroes(long offset, long length) throws IOException {
        check(offset, length);
        device.writeZeroes(offset, length, true);
        received.markWritten(offset, length);
        verifier.written(offset, length);
        background.written(0);
    }

    /** Checks that a range from the source is sector-aligned and lies inside one chunk of the disk. */
    private void check(long offset, long length) throws BlockMigrationException {
        long chunk = offset / spec.chunkSize();
        if (length <= 0 || offset < 0 || offset + length > spec.size()
                || (offset + length - 1) / spec.chunkSize() != chunk
                || offset % BlockDevice.SECTOR_SIZE != 0 || length % BlockDevice.SECTOR_SIZE != 0) {
            throw new BlockMigrationException("drive " + spec.drive() + ": range " + offset + "+" + length
                    + " is not sector-aligned inside one chunk of the " + spec.size() + "-byte disk");
        }
    }

    /**
     * Fails unless the source's digest of this disk equals what this side holds now: every
     * granule the copy wrote was read back from the image after its last write, and swept again
     * while the copy ran, so bytes changed in the image after they arrived (by another writer)
     * are caught too. Only what the thread had not read back yet, the last pass, is read here.
     * Call once, after the last write.
     *
     * @param sourceDigest the source's digest after completion
     * @throws IOException if the digests differ (a {@link BlockMigrationException}) or the image cannot be
     *         read
     */
    public void verify(String sourceDigest) throws IOException {
        String local = verifier.finish();
        if (!local.equals(sourceDigest)) {
            throw new BlockMigrationException("drive " + spec.drive() + ": destination image " + device.path()
                    + " does not match the source (digest " + local + " here, " + sourceDigest + " on the source)");
        }
    }

    /**
     * Bytes that arrived but are not yet read back for the digest: what {@link #verify} would
     * still read at the switch. Unflushed bytes do not count: the last flush overlaps the end of
     * the stream, and counting them held the switch back while a guest kept writing (each
     * fdatasync under load took tens of ms, so the figure hovered above the caught-up mark and
     * the guest's writes were sent again meanwhile). Safe from any thread.
     *
     * @return bytes still to read back, 0 once caught up
     */
    public long backlogBytes() {
        return verifier.unreadBytes();
    }

    /** Bytes written but not yet durable (tests wait on it). */
    long unflushedBytes() {
        return background.unflushedBytes();
    }

    /** Flushes of the image begun so far (tests count them). */
    long flushes() {
        return background.flushes();
    }

    /** Full sweeps of the background read-back so far (tests wait on it). */
    long sweeps() {
        return verifier.sweeps();
    }

    /**
     * Begins making what arrived durable, without waiting: call at the end of the stream, so that
     * the last flush runs while the rest of the stream arrives; {@link #flush} waits for it.
     */
    public void startFlush() {
        background.finishSoon();
    }

    /**
     * Makes what arrived durable; call once, at the end of the stream: background flushing stops
     * and this flushes what arrived since the last background flush began (or waits for the
     * flush {@link #startFlush} began).
     *
     * @throws IOException if the image cannot be flushed
     */
    public void flush() throws IOException {
        background.finish();
    }

    /**
     * Stops background flushing and releases the buffers; the device stays open unless this
     * target opened it. A second call does nothing, so every failure path may close.
     */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        background.close();
        verifier.close();
        arena.close();
        if (ownsDevice) {
            device.close();
        }
    }
}
