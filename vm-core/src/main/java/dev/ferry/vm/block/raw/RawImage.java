package dev.ferry.vm.block.raw;

import dev.ferry.vm.block.Allocation;
import dev.ferry.vm.block.BlockDevice;
import dev.ferry.vm.block.Extent;
import dev.ferry.vm.block.ImageException;
import dev.ferry.vm.block.ImageFormat;
import dev.ferry.vm.block.internal.AbstractImage;
import dev.ferry.vm.block.internal.PosixFile;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.Optional;

/**
 * A raw image: the file is the disk, byte for byte. Holes of a sparse file are its unallocated,
 * zero ranges; write-zeroes with unmap punches new ones.
 */
public final class RawImage extends AbstractImage {

    private final long size;

    private RawImage(PosixFile file, long size) {
        super(file);
        this.size = size;
    }

    /** Takes over {@code file}, closing it if the image is unusable. */
    public static RawImage open(PosixFile file) throws IOException {
        try {
            long size = file.length();
            if (size % SECTOR_SIZE != 0) {
                throw new ImageException(file.path(), "raw image size " + size
                        + " is not a multiple of " + SECTOR_SIZE + "-byte sectors");
            }
            return new RawImage(file, size);
        } catch (IOException | RuntimeException e) {
            file.close();
            throw e;
        }
    }

    /** Creates a sparse raw image of {@code size} bytes. */
    public static void create(PosixFile file, long size) throws IOException {
        file.truncate(size);
    }

    @Override
    public ImageFormat format() {
        return ImageFormat.RAW;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public Optional<BlockDevice> backing() {
        return Optional.empty();
    }

    @Override
    protected void readChecked(long offset, MemorySegment dst) throws IOException {
        file.read(offset, dst);
    }

    @Override
    protected void writeChecked(long offset, MemorySegment src) throws IOException {
        file.write(offset, src);
    }

    @Override
    protected void writeZeroesChecked(long offset, long length, boolean mayUnmap) throws IOException {
        file.zero(offset, length, mayUnmap);
    }

    @Override
    protected Extent allocationChecked(long offset, long length) throws IOException {
        long end = offset + length;
        long data = file.nextData(offset);
        if (data == offset) {
            long hole = file.nextHole(offset);
            return new Extent(offset, Math.min(end, hole) - offset, Allocation.DATA);
        }
        long zeroEnd = data < 0 ? end : Math.min(end, data);
        return new Extent(offset, zeroEnd - offset, Allocation.ZERO);
    }

    @Override
    public void flush() throws IOException {
        file.sync();
    }

    @Override
    public void close() throws IOException {
        file.close();
    }
}
