package dev.ferry.vm.block.internal;

import dev.ferry.vm.block.BlockDevice;
import dev.ferry.vm.block.Extent;
import dev.ferry.vm.block.ImageException;
import dev.ferry.vm.block.WriteObserver;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * What every image format shares: argument checks, the read-only guard and the write observers,
 * which run after the format has put the data in the image.
 */
public abstract class AbstractImage implements BlockDevice {

    protected final PosixFile file;
    private final CopyOnWriteArrayList<WriteObserver> observers = new CopyOnWriteArrayList<>();

    protected AbstractImage(PosixFile file) {
        this.file = file;
    }

    @Override
    public final Path path() {
        return file.path();
    }

    @Override
    public final boolean readOnly() {
        return file.readOnly();
    }

    @Override
    public final void read(long offset, MemorySegment dst) throws IOException {
        checkRange("read", offset, dst.byteSize());
        readChecked(offset, dst);
    }

    @Override
    public final void write(long offset, MemorySegment src) throws IOException {
        checkWritable("write", offset, src.byteSize());
        writeChecked(offset, src);
        tell(offset, src.byteSize());
    }

    @Override
    public final void writeZeroes(long offset, long length, boolean mayUnmap) throws IOException {
        checkWritable("write-zeroes", offset, length);
        writeZeroesChecked(offset, length, mayUnmap);
        tell(offset, length);
    }

    @Override
    public final Extent allocation(long offset, long length) throws IOException {
        if (offset < 0 || length <= 0 || offset + length > size() || offset + length < 0) {
            throw new IllegalArgumentException("allocation query " + offset + "+" + length
                    + " outside " + path() + " (size " + size() + ")");
        }
        return allocationChecked(offset, length);
    }

    @Override
    public final Registration observe(WriteObserver observer) {
        observers.add(observer);
        return () -> observers.remove(observer);
    }

    @Override
    public final int observerCount() {
        return observers.size();
    }

    /** Reads a checked, in-range, sector-aligned range. */
    protected abstract void readChecked(long offset, MemorySegment dst) throws IOException;

    /** Writes a checked range of a writable image. */
    protected abstract void writeChecked(long offset, MemorySegment src) throws IOException;

    protected abstract void writeZeroesChecked(long offset, long length, boolean mayUnmap) throws IOException;

    protected abstract Extent allocationChecked(long offset, long length) throws IOException;

    private void tell(long offset, long length) {
        for (WriteObserver observer : observers) {
            observer.written(offset, length);
        }
    }

    private void checkWritable(String what, long offset, long length) throws IOException {
        if (readOnly()) {
            throw new ImageException(path(), what + " refused: the image is open read-only");
        }
        checkRange(what, offset, length);
    }

    private void checkRange(String what, long offset, long length) {
        if (offset < 0 || length < 0 || offset + length > size() || offset + length < 0) {
            throw new IllegalArgumentException(what + " of " + length + " bytes at " + offset
                    + " outside " + path() + " (size " + size() + ")");
        }
        if (offset % SECTOR_SIZE != 0 || length % SECTOR_SIZE != 0) {
            throw new IllegalArgumentException(what + " of " + length + " bytes at " + offset
                    + " is not aligned to " + SECTOR_SIZE + "-byte sectors");
        }
    }
}
