package dev.ferry.blockmig;

import dev.ferry.vm.block.BlockDevice;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The destination side of one disk's copy: checks its image against the source's {@link DiskSpec}
 * before anything is written, applies what arrives, and hashes what it holds so the switch can
 * compare digests. The granules a message touched are hashed by reading them back from the image
 * once the stream moves on elsewhere, so the digest covers the image, not just the bytes that
 * arrived. The image is flushed in the background as data arrives ({@link BackgroundFlush}), so
 * {@link #flush} at the switch is short.
 */
public final class DiskTarget implements ChunkSink, AutoCloseable {

    private final DiskSpec spec;
    private final BlockDevice device;
    private final boolean ownsDevice;
    private final ChunkDigests digests;
    private final Arena arena;
    private final MemorySegment buffer;
    private final BackgroundFlush background;
    /** Granules {@code [unhashedFirst, unhashedEnd)}, inside one chunk, written but not hashed yet. */
    private long unhashedFirst = -1;
    private long unhashedEnd = -1;
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
        this.digests = new ChunkDigests(spec.size(), spec.hashGranularity(), arena);
        this.buffer = arena.allocate(spec.chunkSize(), 4096);
        this.background = new BackgroundFlush(device, drive);
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
        touch(offset, bytes.byteSize());
        device.write(offset, bytes);
        background.written(bytes.byteSize());
    }

    /** In-process copy: the source fills this side's buffer, which is then written. */
    @Override
    public void data(long offset, long length, Fill fill) throws IOException {
        touch(offset, length);
        MemorySegment room = buffer.asSlice(0, length);
        fill.into(offset, room);
        device.write(offset, room);
        background.written(length);
    }

    @Override
    public void zeroes(long offset, long length) throws IOException {
        touch(offset, length);
        device.writeZeroes(offset, length, true);
        background.written(0);
    }

    /**
     * Checks a range from the source and adds its granules to the unhashed run; a run the range
     * does not continue or overlap is hashed first.
     */
    private void touch(long offset, long length) throws IOException {
        long chunk = offset / spec.chunkSize();
        if (length <= 0 || offset < 0 || offset + length > spec.size()
                || (offset + length - 1) / spec.chunkSize() != chunk
                || offset % BlockDevice.SECTOR_SIZE != 0 || length % BlockDevice.SECTOR_SIZE != 0) {
            throw new BlockMigrationException("drive " + spec.drive() + ": range " + offset + "+" + length
                    + " is not sector-aligned inside one chunk of the " + spec.size() + "-byte disk");
        }
        long first = offset / spec.hashGranularity();
        long end = (offset + length + spec.hashGranularity() - 1) / spec.hashGranularity();
        boolean joins = unhashedFirst >= 0 && first <= unhashedEnd && end >= unhashedFirst
                && unhashedFirst * spec.hashGranularity() / spec.chunkSize() == chunk;
        if (!joins) {
            hashUnhashed();
            unhashedFirst = first;
            unhashedEnd = end;
        } else {
            unhashedFirst = Math.min(unhashedFirst, first);
            unhashedEnd = Math.max(unhashedEnd, end);
        }
    }

    private void hashUnhashed() throws IOException {
        if (unhashedFirst < 0) {
            return;
        }
        long start = unhashedFirst * spec.hashGranularity();
        MemorySegment content = buffer.asSlice(0, Math.min(unhashedEnd * spec.hashGranularity(), spec.size()) - start);
        device.read(start, content);
        digests.add(start, content);
        unhashedFirst = -1;
    }

    /** Reads every granule the copy covered back from the image, in runs of up to a chunk, and hashes it again. */
    private void rehashCovered() throws IOException {
        long granule = spec.hashGranularity();
        long perRun = spec.chunkSize() / granule;
        for (long first = digests.nextCovered(0); first >= 0; ) {
            long end = first + 1;
            while (end - first < perRun && digests.nextCovered(end) == end) {
                end++;
            }
            long start = first * granule;
            MemorySegment content = buffer.asSlice(0, Math.min(end * granule, spec.size()) - start);
            device.read(start, content);
            digests.add(start, content);
            first = digests.nextCovered(end);
        }
    }

    /**
     * The digest of every granule this side received, as hashed when it was written.
     *
     * @return hex digest
     * @throws IOException if the image cannot be read to hash the last writes
     */
    public String digest() throws IOException {
        hashUnhashed();
        return digests.digest();
    }

    /**
     * Fails unless the source's digest of this disk equals what this side holds now: every
     * granule the copy wrote is read back and hashed again, so bytes changed in the image after
     * they arrived (by another writer) are caught too.
     *
     * @param sourceDigest the source's digest after completion
     * @throws IOException if the digests differ (a {@link BlockMigrationException}) or the image cannot be
     *         read
     */
    public void verify(String sourceDigest) throws IOException {
        hashUnhashed();
        rehashCovered();
        String local = digests.digest();
        if (!local.equals(sourceDigest)) {
            throw new BlockMigrationException("drive " + spec.drive() + ": destination image " + device.path()
                    + " does not match the source (digest " + local + " here, " + sourceDigest + " on the source)");
        }
    }

    /**
     * Makes what arrived durable; call once, at the end of the stream: background flushing stops
     * and this flushes what arrived since the last background flush began.
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
        arena.close();
        if (ownsDevice) {
            device.close();
        }
    }
}
