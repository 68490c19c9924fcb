package dev.ferry.vm.device;

import dev.ferry.vm.block.Allocation;
import dev.ferry.vm.block.BlockDevice;
import dev.ferry.vm.block.Extent;
import dev.ferry.vm.block.ImageFormat;
import dev.ferry.vm.block.WriteObserver;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A raw image over a FileChannel for device tests, until the block layer's raw implementation is
 * on main. Writes go through a bounce buffer; zeroes are written, never punched.
 */
public final class FileBlockDevice implements BlockDevice {

    private final Path path;
    private final FileChannel channel;
    private final boolean readOnly;
    private final List<WriteObserver> observers = new CopyOnWriteArrayList<>();

    public FileBlockDevice(Path path, boolean readOnly) throws IOException {
        this.path = path;
        this.readOnly = readOnly;
        this.channel = readOnly ? FileChannel.open(path, StandardOpenOption.READ)
                : FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
    }

    @Override public Path path() { return path; }
    @Override public ImageFormat format() { return ImageFormat.RAW; }
    @Override public boolean readOnly() { return readOnly; }
    @Override public Optional<BlockDevice> backing() { return Optional.empty(); }

    @Override
    public long size() {
        try {
            return channel.size();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void read(long offset, MemorySegment dst) throws IOException {
        var buf = dst.asByteBuffer();
        while (buf.hasRemaining()) {
            if (channel.read(buf, offset + buf.position()) < 0) {
                throw new IOException("read past end of " + path);
            }
        }
    }

    @Override
    public void write(long offset, MemorySegment src) throws IOException {
        var buf = src.asByteBuffer();
        while (buf.hasRemaining()) {
            channel.write(buf, offset + buf.position());
        }
        observers.forEach(o -> o.written(offset, src.byteSize()));
    }

    @Override
    public void writeZeroes(long offset, long length, boolean mayUnmap) throws IOException {
        try (Arena a = Arena.ofConfined()) {
            write(offset, a.allocate(length));
        }
    }

    @Override
    public void flush() throws IOException {
        channel.force(true);
    }

    @Override
    public Extent allocation(long offset, long length) {
        return new Extent(offset, length, Allocation.DATA);
    }

    @Override
    public Registration observe(WriteObserver observer) {
        observers.add(observer);
        return () -> observers.remove(observer);
    }

    @Override
    public int observerCount() {
        return observers.size();
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
