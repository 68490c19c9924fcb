package dev.ferry.vm.bus;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes port-I/O or MMIO exits to devices by address range. Registration happens while the
 * machine is built; lookups run on every exit, so they binary-search an immutable sorted table
 * that registration replaces whole (readers never lock).
 */
public final class Bus {

    private static final Logger LOG = LoggerFactory.getLogger(Bus.class);
    /** Unmapped accesses logged one by one; after them only the ones whose count is a power of two. */
    static final int LOGGED_EACH = 16;

    private record Range(long base, long end, BusDevice device) {}

    /** Sorted ranges and their bases, swapped as one so a reader always sees a consistent pair. */
    private record Table(long[] bases, Range[] ranges) {}

    private final String name;
    private volatile Table table = new Table(new long[0], new Range[0]);
    private final AtomicLong unmapped = new AtomicLong();

    /** @param name what the bus is, for messages ("pio", "mmio") */
    public Bus(String name) {
        this.name = name;
    }

    /**
     * Maps {@code device} at {@code [base, base + length)}; offsets it sees are relative to base.
     *
     * @throws IllegalArgumentException if the range is empty, wraps, or overlaps a registered one
     */
    public synchronized void register(long base, long length, BusDevice device) {
        if (length <= 0 || base < 0 || base + length < base) {
            throw new IllegalArgumentException(String.format("%s bus: bad range 0x%x+0x%x", name, base, length));
        }
        Range added = new Range(base, base + length, device);
        Range[] ranges = table.ranges();
        for (Range r : ranges) {
            if (r.base < added.end && added.base < r.end) {
                throw new IllegalArgumentException(String.format(
                        "%s bus: range 0x%x-0x%x overlaps 0x%x-0x%x of %s",
                        name, added.base, added.end - 1, r.base, r.end - 1, r.device));
            }
        }
        Range[] next = Arrays.copyOf(ranges, ranges.length + 1);
        next[ranges.length] = added;
        Arrays.sort(next, (a, b) -> Long.compare(a.base, b.base));
        long[] nextBases = new long[next.length];
        for (int i = 0; i < next.length; i++) {
            nextBases[i] = next[i].base;
        }
        table = new Table(nextBases, next);
    }

    /**
     * Delivers a guest read. An unmapped address reads as all ones (as on a real bus) and
     * returns false.
     */
    public boolean read(long address, MemorySegment data) {
        Range r = find(address, data.byteSize());
        if (r == null) {
            data.fill((byte) 0xff);
            return false;
        }
        r.device.read(address - r.base, data);
        return true;
    }

    /** Delivers a guest write; an unmapped one is dropped and returns false. */
    public boolean write(long address, MemorySegment data) {
        Range r = find(address, data.byteSize());
        if (r == null) {
            return false;
        }
        r.device.write(address - r.base, data);
        return true;
    }

    /** Accesses that hit no device (or straddled a device's end) since the bus was made. */
    public long unmappedAccesses() {
        return unmapped.get();
    }

    private Range find(long address, long size) {
        Table t = table;
        int i = Arrays.binarySearch(t.bases(), address);
        int index = i >= 0 ? i : -i - 2;
        if (index >= 0 && address + size <= t.ranges()[index].end) {
            return t.ranges()[index];
        }
        long count = unmapped.incrementAndGet();
        // A guest probing for hardware (Linux scans PCI through 0xcf8/0xcfc thousands of times)
        // would write a line per exit, each costing the vCPU milliseconds in a nested VM.
        if (LOG.isDebugEnabled() && logged(count)) {
            LOG.debug(String.format("%s bus: unmapped %d-byte access at 0x%x (%d so far%s)", name, size, address, count,
                    count == LOGGED_EACH ? "; from here on only every power of two is logged" : ""));
        }
        return null;
    }

    /** Whether the {@code count}th unmapped access is logged: each of the first ones, then every power of two. */
    static boolean logged(long count) {
        return count <= LOGGED_EACH || Long.bitCount(count) == 1;
    }

    @Override
    public String toString() {
        return name + " bus";
    }
}
