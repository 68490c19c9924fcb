package dev.ferry.vm.device;

import dev.ferry.vm.memory.GuestMemory;
import dev.ferry.vm.memory.GuestMemoryException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.BitSet;

/** Guest RAM from address 0 in off-heap memory, with a page dirty bitmap, for device tests. */
public final class ArenaGuestMemory implements GuestMemory, AutoCloseable {

    private final Arena arena;
    private final MemorySegment ram;
    private final BitSet dirty = new BitSet();

    public ArenaGuestMemory(long size) {
        this(Arena.ofShared(), size);
    }

    private ArenaGuestMemory(Arena arena, long size) {
        this(arena, arena.allocate(size, 4096));
    }

    private ArenaGuestMemory(Arena arena, MemorySegment ram) {
        this.arena = arena;
        this.ram = ram;
    }

    /**
     * Guest RAM in {@code file}, created or grown to {@code size} and mapped shared, so another
     * process mapping the same file (QEMU's memory-backend-file with share=on) sees the same bytes.
     */
    public static ArenaGuestMemory mapFile(Path file, long size) throws IOException {
        Arena arena = Arena.ofShared();
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            return new ArenaGuestMemory(arena, channel.map(FileChannel.MapMode.READ_WRITE, 0, size, arena));
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    @Override
    public long size() {
        return ram.byteSize();
    }

    @Override
    public MemorySegment slice(long gpa, long length) {
        if (gpa < 0 || length < 0 || gpa > ram.byteSize() - length) {
            throw new GuestMemoryException(gpa, length);
        }
        return ram.asSlice(gpa, length);
    }

    @Override
    public synchronized void dirty(long gpa, long length) {
        dirty.set((int) (gpa >>> 12), (int) ((gpa + length + 4095) >>> 12));
    }

    public synchronized boolean isDirty(long gpa) {
        return dirty.get((int) (gpa >>> 12));
    }

    public synchronized void clearDirty() {
        dirty.clear();
    }

    @Override
    public void close() {
        arena.close();
    }
}
