package dev.ferry.blockmig;

import dev.ferry.vm.block.Allocation;
import dev.ferry.vm.block.BlockDevice;
import dev.ferry.vm.block.Extent;
import dev.ferry.vm.block.ImageFormat;
import dev.ferry.vm.block.WriteObserver;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A copy-on-write disk in memory with 64 KiB clusters, for tests of the chunk logic before the
 * block layer's file images exist: each cluster is DATA (held here), ZERO, or BACKING (read from
 * the backing disk). Observers run after the lock is released, as a throttled writer must not
 * block the migration's reads.
 */
final class MemoryDisk implements BlockDevice {

    static final int CLUSTER = 64 * 1024;

    private final Path path;
    private final ImageFormat format;
    private final long size;
    private final MemoryDisk backing;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment bytes;
    private final Allocation[] clusters;
    private final ReentrantLock lock = new ReentrantLock();
    private final CopyOnWriteArrayList<WriteObserver> observers = new CopyOnWriteArrayList<>();
    private volatile long loseWriteAt = -1;
    private volatile boolean readOnly;

    MemoryDisk(String name, ImageFormat format, long size, MemoryDisk backing) {
        this.path = Path.of("/memory", name);
        this.format = format;
        this.size = size;
        this.backing = backing;
        this.bytes = arena.allocate(size, 4096);
        this.clusters = new Allocation[(int) ((size + CLUSTER - 1) / CLUSTER)];
        Arrays.fill(clusters, backing == null ? Allocation.ZERO : Allocation.BACKING);
    }

    /** Test hook: the next write covering {@code offset} reports success but does not land. */
    void loseWriteAt(long offset) {
        loseWriteAt = offset;
    }

    /** Test hook: from now on the disk reports itself read-only (it still accepts writes). */
    void markReadOnly() {
        readOnly = true;
    }

    /** Allocation status of every cluster, for comparing two disks' layouts. */
    Allocation[] layout() {
        lock.lock();
        try {
            return clusters.clone();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Path path() {
        return path;
    }

    @Override
    public ImageFormat format() {
        return format;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public boolean readOnly() {
        return readOnly;
    }

    @Override
    public Optional<BlockDevice> backing() {
        return Optional.ofNullable(backing);
    }

    @Override
    public void read(long offset, MemorySegment dst) throws IOException {
        check(offset, dst.byteSize());
        lock.lock();
        try {
            for (long at = offset; at < offset + dst.byteSize(); ) {
                int cluster = (int) (at / CLUSTER);
                long n = Math.min((cluster + 1L) * CLUSTER, offset + dst.byteSize()) - at;
                MemorySegment out = dst.asSlice(at - offset, n);
                switch (clusters[cluster]) {
                    case DATA -> MemorySegment.copy(bytes, at, out, 0, n);
                    case ZERO -> out.fill((byte) 0);
                    case BACKING -> backing.read(at, out);
                }
                at += n;
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void write(long offset, MemorySegment src) throws IOException {
        check(offset, src.byteSize());
        lock.lock();
        try {
            long lost = loseWriteAt;
            if (lost >= offset && lost < offset + src.byteSize()) {
                loseWriteAt = -1;
            } else {
                for (long at = offset; at < offset + src.byteSize(); at = (at / CLUSTER + 1) * CLUSTER) {
                    materialize((int) (at / CLUSTER));
                }
                MemorySegment.copy(src, 0, bytes, offset, src.byteSize());
            }
        } finally {
            lock.unlock();
        }
        notifyObservers(offset, src.byteSize());
    }

    private void materialize(int cluster) throws IOException {
        long start = (long) cluster * CLUSTER;
        MemorySegment slice = bytes.asSlice(start, Math.min(CLUSTER, size - start));
        switch (clusters[cluster]) {
            case DATA -> { }
            case ZERO -> slice.fill((byte) 0);
            case BACKING -> backing.read(start, slice);
        }
        clusters[cluster] = Allocation.DATA;
    }

    @Override
    public void writeZeroes(long offset, long length, boolean mayUnmap) throws IOException {
        check(offset, length);
        lock.lock();
        try {
            for (long at = offset; at < offset + length; ) {
                int cluster = (int) (at / CLUSTER);
                long clusterEnd = Math.min((cluster + 1L) * CLUSTER, size);
                long n = Math.min(clusterEnd, offset + length) - at;
                if (mayUnmap && at == (long) cluster * CLUSTER && n == clusterEnd - at) {
                    clusters[cluster] = Allocation.ZERO;
                } else {
                    materialize(cluster);
                    bytes.asSlice(at, n).fill((byte) 0);
                }
                at += n;
            }
        } finally {
            lock.unlock();
        }
        notifyObservers(offset, length);
    }

    private void notifyObservers(long offset, long length) {
        for (WriteObserver observer : observers) {
            observer.written(offset, length);
        }
    }

    @Override
    public void flush() {
    }

    @Override
    public Extent allocation(long offset, long length) {
        lock.lock();
        try {
            int cluster = (int) (offset / CLUSTER);
            Allocation status = clusters[cluster];
            long end = Math.min((cluster + 1L) * CLUSTER, size);
            while (end < offset + length && clusters[(int) (end / CLUSTER)] == status) {
                end = Math.min(end + CLUSTER, size);
            }
            return new Extent(offset, Math.min(end, offset + length) - offset, status);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Registration observe(WriteObserver observer) {
        observers.add(observer);
        return () -> observers.remove(observer);
    }

    private void check(long offset, long length) {
        if (offset < 0 || length < 0 || offset + length > size || offset % SECTOR_SIZE != 0 || length % SECTOR_SIZE != 0) {
            throw new IllegalArgumentException(path + ": bad range " + offset + "+" + length);
        }
    }

    @Override
    public void close() {
        arena.close();
    }
}
