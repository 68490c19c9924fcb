package dev.ferry.savevm;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * A RAM-like live section for tests: pages a guest thread dirties, sent once in bulk and then as
 * dirtied, each unit a page index and the page. One instance is the source, another the destination.
 */
final class SyntheticRam implements LiveSection {

    static final int PAGE = 4096;

    private final SectionId id;
    private final byte[] memory;
    private final BitSet dirty = new BitSet();
    private final List<Boolean> cleanups = new ArrayList<>();
    private boolean tracking;
    private volatile int throttleLevel;
    private volatile int maxThrottleLevel;
    private int loadedFrames;
    /** What this side says it still owes on what it loaded (a destination behind its stream). */
    private volatile long backlog;

    SyntheticRam(String idstr, int pages) {
        this.id = new SectionId(idstr, 0, 1);
        this.memory = new byte[pages * PAGE];
    }

    @Override
    public SectionId id() {
        return id;
    }

    int pages() {
        return memory.length / PAGE;
    }

    /** The guest writes {@code value} all over {@code page}. */
    synchronized void guestWrite(int page, long value) {
        MemorySegment.ofArray(memory).asSlice((long) page * PAGE, PAGE).fill((byte) value);
        memory[page * PAGE] = (byte) (value >>> 8);
        if (tracking) {
            dirty.set(page);
        }
    }

    synchronized byte[] snapshot() {
        return memory.clone();
    }

    int throttleLevel() {
        return throttleLevel;
    }

    int maxThrottleLevel() {
        return maxThrottleLevel;
    }

    synchronized List<Boolean> cleanups() {
        return List.copyOf(cleanups);
    }

    synchronized boolean tracking() {
        return tracking;
    }

    /** The destination owes {@code bytes} of work on what it loaded until set to 0 again. */
    void owe(long bytes) {
        backlog = bytes;
    }

    @Override
    public long backlogBytes() {
        return backlog;
    }

    synchronized int loadedFrames() {
        return loadedFrames;
    }

    @Override
    public synchronized void setup(SectionOutput out) throws IOException {
        tracking = true;
        dirty.set(0, pages());
        out.writeInt(pages());
    }

    @Override
    public synchronized long pendingBytes() {
        return (long) dirty.cardinality() * PAGE;
    }

    @Override
    public void iterate(SectionOutput out, long budgetBytes) throws IOException {
        long sent = 0;
        byte[] page = new byte[PAGE];
        while (sent < budgetBytes) {
            int index;
            synchronized (this) {
                index = dirty.nextSetBit(0);
                if (index < 0) {
                    return;
                }
                dirty.clear(index);
                System.arraycopy(memory, index * PAGE, page, 0, PAGE);
            }
            out.keepTogether(8 + PAGE);
            out.writeLong(index);
            out.reserve(PAGE).copyFrom(MemorySegment.ofArray(page));
            sent += 8 + PAGE;
        }
    }

    @Override
    public void complete(SectionOutput out) throws IOException {
        iterate(out, Long.MAX_VALUE);
    }

    @Override
    public synchronized void cleanup(boolean succeeded) {
        tracking = false;
        dirty.clear();
        cleanups.add(succeeded);
    }

    @Override
    public void notConverging(int level) {
        throttleLevel = level;
        maxThrottleLevel = Math.max(maxThrottleLevel, level);
    }

    @Override
    public synchronized void load(FrameKind kind, SectionInput in, int version) throws IOException {
        loadedFrames++;
        if (kind == FrameKind.START) {
            int pages = in.readInt();
            if (pages != pages()) {
                throw new MigrationException(Phase.LOAD, "source has " + pages + " pages, destination " + pages());
            }
        }
        while (in.remaining() > 0) {
            long index = in.readLong();
            MemorySegment.copy(in.read(PAGE), 0, MemorySegment.ofArray(memory), index * PAGE, PAGE);
        }
    }
}
