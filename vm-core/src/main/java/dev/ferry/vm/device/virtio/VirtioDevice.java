package dev.ferry.vm.device.virtio;

import java.lang.foreign.MemorySegment;

/**
 * A virtio device behind a {@link VirtioMmioTransport}: the transport owns status, features and
 * queues; the device owns its configuration space and what a request means.
 */
public interface VirtioDevice {

    /** Virtio device type (2 for a block device). */
    int deviceId();

    /** Feature bits offered, VIRTIO_F_VERSION_1 (bit 32) included. */
    long features();

    int queueCount();

    int queueMaxSize();

    /** Fills {@code data} from the configuration space at {@code offset}; bytes past its end read 0. */
    void readConfig(long offset, MemorySegment data);

    /** Takes a driver write to the configuration space (most fields are read-only and ignore it). */
    void writeConfig(long offset, MemorySegment data);

    /**
     * Serves every available request of queue {@code index}, synchronously on the caller's
     * (vCPU) thread. Returns true if any request completed.
     */
    boolean process(int index, Virtqueue queue);
}
