package dev.ferry.vm.device;

import dev.ferry.vm.memory.GuestMemory;
import dev.ferry.vm.memory.GuestMemoryException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.BitSet;

/** Guest RAM from address 0 in off-heap memory, with a page dirty bitmap, for device tests. */
public final class ArenaGuestMemory implements GuestMemory, AutoCloseable {

    private final Arena arena = Arena.ofShared();
    private final MemorySegment ram;
    private final BitSet dirty = new BitSet();

    public ArenaGuestMemory(long size) {
        ram = arena.allocate(size, 4096);
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
