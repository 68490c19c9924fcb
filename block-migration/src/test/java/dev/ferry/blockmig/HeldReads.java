package dev.ferry.blockmig;

import dev.ferry.vm.block.BlockDevice;
import dev.ferry.vm.block.Extent;
import dev.ferry.vm.block.ImageFormat;
import dev.ferry.vm.block.WriteObserver;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * An image whose reads wait until released, as a loaded machine's would: a test holds the
 * destination's read-back in the middle of a run. Everything else goes straight to the image.
 */
final class HeldReads implements BlockDevice {

    private final BlockDevice image;
    private final CountDownLatch reading = new CountDownLatch(1);
    private final CountDownLatch released = new CountDownLatch(1);

    HeldReads(BlockDevice image) {
        this.image = image;
    }

    /** Waits until a read is held; false after {@code seconds}. */
    boolean awaitReading(long seconds) throws InterruptedException {
        return reading.await(seconds, TimeUnit.SECONDS);
    }

    /** Lets every read through, now and from now on. */
    void release() {
        released.countDown();
    }

    @Override
    public void read(long offset, MemorySegment dst) throws IOException {
        reading.countDown();
        try {
            released.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while held", e);
        }
        image.read(offset, dst);
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

    @Override
    public Registration observe(WriteObserver observer) {
        return image.observe(observer);
    }

    @Override
    public int observerCount() {
        return image.observerCount();
    }

    @Override
    public void close() throws IOException {
        image.close();
    }
}
