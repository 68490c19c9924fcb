package dev.ferry.vm.device.state;

/**
 * One split virtqueue as the driver configured it, plus the device's position in it. The live
 * queue is rebuilt from this on restore; {@link #validate} checks what cannot be checked alone.
 *
 * @param size entries (a power of two up to the device's maximum); 0 if never configured
 * @param ready whether the driver set QueueReady
 * @param descTable guest physical address of the descriptor table, 16-byte aligned
 * @param availRing guest physical address of the available ring, 2-byte aligned
 * @param usedRing guest physical address of the used ring, 4-byte aligned
 * @param nextAvail the next avail ring index the device will take
 * @param nextUsed the next used ring index the device will fill
 */
public record QueueState(int size, boolean ready, long descTable, long availRing, long usedRing,
                         int nextAvail, int nextUsed) {

    /**
     * Checks size, ring indices and alignment.
     *
     * @throws IllegalArgumentException naming the first bad field
     */
    public QueueState {
        if (size < 0 || size > 32768 || (size & (size - 1)) != 0) {
            throw new IllegalArgumentException("queue state: size " + size + " is not a power of two up to 32768");
        }
        if (nextAvail < 0 || nextAvail > 0xffff || nextUsed < 0 || nextUsed > 0xffff) {
            throw new IllegalArgumentException("queue state: ring index out of 0..65535");
        }
        if (descTable % 16 != 0 || availRing % 2 != 0 || usedRing % 4 != 0) {
            throw new IllegalArgumentException("queue state: misaligned ring address");
        }
    }

    /**
     * A queue the driver has not touched.
     *
     * @param maxSize the device's maximum queue size
     * @return a queue of {@code maxSize} entries, not ready, all addresses 0
     */
    public static QueueState initial(int maxSize) {
        return new QueueState(maxSize, false, 0, 0, 0, 0, 0);
    }

    /**
     * Checks the state against the device it is restored into.
     *
     * @param maxSize the device's maximum queue size
     * @throws IllegalArgumentException if the size exceeds {@code maxSize} or a ready queue has size 0
     */
    public void validate(int maxSize) {
        if (size > maxSize) {
            throw new IllegalArgumentException("queue state: size " + size + " exceeds the device's " + maxSize);
        }
        if (ready && size == 0) {
            throw new IllegalArgumentException("queue state: ready with size 0");
        }
    }
}
