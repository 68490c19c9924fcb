package dev.ferry.vm.device.virtio;

import dev.ferry.vm.device.state.QueueState;
import dev.ferry.vm.memory.GuestMemory;
import dev.ferry.vm.memory.GuestMemoryException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;

/**
 * A live split virtqueue (virtio 1.x) over guest memory. It trusts nothing the driver wrote:
 * every index, chain and ring address is checked and a violation is a {@link VirtqueueException}.
 * Buffers' own addresses are checked by whoever maps them ({@link GuestMemory#slice}).
 */
public final class Virtqueue {

    private static final int F_NEXT = 1;
    private static final int F_WRITE = 2;
    private static final int F_INDIRECT = 4;
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED;

    private final GuestMemory memory;
    private final QueueState state;
    private final MemorySegment desc;
    private final MemorySegment avail;
    private final MemorySegment used;
    private int nextAvail;
    private int nextUsed;

    /**
     * Maps the rings of a ready queue.
     *
     * @throws VirtqueueException if a ring is not wholly in guest RAM
     */
    public Virtqueue(GuestMemory memory, QueueState state) {
        this.memory = memory;
        this.state = state;
        int size = state.size();
        try {
            desc = memory.slice(state.descTable(), 16L * size);
            avail = memory.slice(state.availRing(), 6L + 2L * size);
            used = memory.slice(state.usedRing(), 6L + 8L * size);
        } catch (GuestMemoryException e) {
            throw new VirtqueueException("virtqueue rings outside guest RAM: " + e.getMessage());
        }
        nextAvail = state.nextAvail();
        nextUsed = state.nextUsed();
    }

    /** The next request the driver made available, or null if there is none. */
    public DescriptorChain pop() {
        int size = state.size();
        int availIdx = Short.toUnsignedInt(avail.get(U16, 2));
        VarHandle.acquireFence(); // read the ring entry only after the index that published it
        int pending = (availIdx - nextAvail) & 0xffff;
        if (pending == 0) {
            return null;
        }
        if (pending > size) {
            throw new VirtqueueException("avail index " + availIdx + " runs " + pending + " ahead of a " + size + "-entry queue");
        }
        int head = Short.toUnsignedInt(avail.get(U16, 4 + 2L * (nextAvail % size)));
        nextAvail = (nextAvail + 1) & 0xffff;
        List<Descriptor> buffers = new ArrayList<>(4);
        int index = head;
        while (true) {
            if (index >= size) {
                throw new VirtqueueException("descriptor index " + index + " outside a " + size + "-entry table");
            }
            if (buffers.size() == size) {
                throw new VirtqueueException("descriptor chain from " + head + " loops");
            }
            long at = 16L * index;
            int flags = Short.toUnsignedInt(desc.get(U16, at + 12));
            if ((flags & F_INDIRECT) != 0) {
                throw new VirtqueueException("indirect descriptor, a feature this device does not offer");
            }
            buffers.add(new Descriptor(desc.get(U64, at), desc.get(U32, at + 8), (flags & F_WRITE) != 0));
            if ((flags & F_NEXT) == 0) {
                return new DescriptorChain(head, buffers);
            }
            index = Short.toUnsignedInt(desc.get(U16, at + 14));
        }
    }

    /** Returns a finished request to the driver; {@code written} bytes went into its buffers. */
    public void push(int head, int written) {
        long slot = 4 + 8L * (nextUsed % state.size());
        used.set(U32, slot, head);
        used.set(U32, slot + 4, written);
        nextUsed = (nextUsed + 1) & 0xffff;
        VarHandle.releaseFence(); // the entry must be visible before the index that publishes it
        used.set(U16, 2, (short) nextUsed);
        memory.dirty(state.usedRing() + slot, 8);
        memory.dirty(state.usedRing() + 2, 2);
    }

    /** Where the queue stands, for a snapshot. */
    public QueueState state() {
        return new QueueState(state.size(), state.ready(), state.descTable(), state.availRing(),
                state.usedRing(), nextAvail, nextUsed);
    }
}
