package dev.ferry.monitor.vm;

import dev.ferry.vm.block.BlockDevice;
import dev.ferry.vm.block.Extent;
import dev.ferry.vm.block.ImageFormat;
import dev.ferry.vm.block.WriteObserver;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A drive as the session hands it to a storage copy: the image itself, counting the write
 * observers (the copy's dirty tracking) registered through it, so {@code info block} can show
 * whether a finished, failed or cancelled migration really stopped tracking the guest's writes.
 */
final class ObservedDisk implements BlockDevice {

    private final BlockDevice image;
    private final AtomicInteger observers = new AtomicInteger();

    ObservedDisk(BlockDevice image) {
        this.image = image;
    }

    /** Write observers registered through this drive and not yet closed. */
    int observers() {
        return observers.get();
    }

    @Override
    public Registration observe(WriteObserver observer) {
        Registration registration = image.observe(observer);
        observers.incrementAndGet();
        return new Registration() {
            private boolean closed;

            @Override
            public synchronized void close() {
                if (!closed) {
                    closed = true;
                    registration.close();
                    observers.decrementAndGet();
                }
            }
        };
    }

    @Override
    public Path path() {
        return image.path();
    }

    @Override
    public ImageFormat format() {
        return image.format();
    }

    @Override
    public long size() {
        return image.size();
    }

    @Override
    public boolean readOnly() {
        return image.readOnly();
    }

    @Override
    public Optional<BlockDevice> backing() {
        return image.backing();
    }

    @Override
    public void read(long offset, MemorySegment dst) throws IOException {
        image.read(offset, dst);
    }

    @Override
    public void write(long offset, MemorySegment src) throws IOException {
        image.write(offset, src);
    }

    @Override
    public void writeZeroes(long offset, long length, boolean mayUnmap) throws IOException {
        image.writeZeroes(offset, length, mayUnmap);
    }

    @Override
    public void flush() throws IOException {
        image.flush();
    }

    @Override
    public Extent allocation(long offset, long length) throws IOException {
        return image.allocation(offset, length);
    }

    /** The session owns the image's lifetime, not the storage copy. */
    @Override
    public void close() {
    }
}
