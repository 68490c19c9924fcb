package dev.ferry.vm.device.virtio.blk;

import dev.ferry.vm.device.ArenaGuestMemory;
import dev.ferry.vm.device.virtio.VirtioMmioTransport;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** A minimal virtio-blk driver in Java that talks to the transport the way the guest does. */
final class BlkDriver {

    static final long DESC = 0x1000;
    static final long AVAIL = 0x2000;
    static final long USED = 0x3000;
    static final long HEADER = 0x4000;
    static final long STATUS = 0x5000;
    static final int QSIZE = 16;

    private final ArenaGuestMemory mem;
    final VirtioMmioTransport transport;
    private final MemorySegment reg = Arena.ofAuto().allocate(4);
    private int availIdx;

    BlkDriver(ArenaGuestMemory mem, VirtioMmioTransport transport) {
        this.mem = mem;
        this.transport = transport;
    }

    /** The same driver, ring positions included, talking to another transport (a restored one). */
    BlkDriver movedTo(VirtioMmioTransport other) {
        BlkDriver moved = new BlkDriver(mem, other);
        moved.availIdx = availIdx;
        return moved;
    }

    int read32(int offset) {
        transport.read(offset, reg);
        return reg.get(ValueLayout.JAVA_INT_UNALIGNED, 0);
    }

    void write32(int offset, int value) {
        reg.set(ValueLayout.JAVA_INT_UNALIGNED, 0, value);
        transport.write(offset, reg);
    }

    /** Negotiates {@code wanted} (must include VERSION_1) and enables queue 0; returns the status read back. */
    int init(long wanted) {
        write32(0x70, 0);
        write32(0x70, 1);
        write32(0x70, 3);
        write32(0x24, 0);
        write32(0x20, (int) wanted);
        write32(0x24, 1);
        write32(0x20, (int) (wanted >>> 32));
        write32(0x70, 3 | 8);
        int status = read32(0x70);
        write32(0x30, 0);
        write32(0x38, QSIZE);
        write32(0x80, (int) DESC);
        write32(0x90, (int) AVAIL);
        write32(0xa0, (int) USED);
        write32(0x44, 1);
        write32(0x70, status | 4);
        return read32(0x70);
    }

    long deviceFeatures() {
        write32(0x14, 0);
        long low = read32(0x10) & 0xffffffffL;
        write32(0x14, 1);
        return low | ((long) read32(0x10) << 32);
    }

    void desc(int index, long addr, int len, int flags, int next) {
        MemorySegment d = mem.slice(DESC + 16L * index, 16);
        d.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, addr);
        d.set(ValueLayout.JAVA_INT_UNALIGNED, 8, len);
        d.set(ValueLayout.JAVA_SHORT_UNALIGNED, 12, (short) flags);
        d.set(ValueLayout.JAVA_SHORT_UNALIGNED, 14, (short) next);
    }

    /** Makes the chain at {@code head} available and notifies. */
    void publish(int head) {
        mem.slice(AVAIL + 4 + 2L * (availIdx % QSIZE), 2).set(ValueLayout.JAVA_SHORT_UNALIGNED, 0, (short) head);
        availIdx++;
        mem.slice(AVAIL + 2, 2).set(ValueLayout.JAVA_SHORT_UNALIGNED, 0, (short) availIdx);
        write32(0x50, 0);
    }

    int usedIdx() {
        return Short.toUnsignedInt(mem.slice(USED + 2, 2).get(ValueLayout.JAVA_SHORT_UNALIGNED, 0));
    }

    int usedLen(int entry) {
        return mem.slice(USED + 4 + 8L * (entry % QSIZE) + 4, 4).get(ValueLayout.JAVA_INT_UNALIGNED, 0);
    }

    /** Sends header, one data buffer (if len > 0) and status as one chain; returns the status byte. */
    int request(int type, long sector, long data, int len, boolean deviceWrites) {
        MemorySegment h = mem.slice(HEADER, 16);
        h.set(ValueLayout.JAVA_INT_UNALIGNED, 0, type);
        h.set(ValueLayout.JAVA_INT_UNALIGNED, 4, 0);
        h.set(ValueLayout.JAVA_LONG_UNALIGNED, 8, sector);
        mem.slice(STATUS, 1).set(ValueLayout.JAVA_BYTE, 0, (byte) 0x7f);
        if (len > 0) {
            desc(0, HEADER, 16, 1, 1);
            desc(1, data, len, 1 | (deviceWrites ? 2 : 0), 2);
        } else {
            desc(0, HEADER, 16, 1, 2);
        }
        desc(2, STATUS, 1, 2, 0);
        publish(0);
        return mem.slice(STATUS, 1).get(ValueLayout.JAVA_BYTE, 0);
    }
}
