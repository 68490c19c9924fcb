package dev.ferry.vm.device.state;

import java.util.List;

/**
 * A virtio-mmio transport and its device at a pause. Devices here process requests synchronously
 * during the notify exit, so a paused device has nothing in flight and this is all there is.
 *
 * @param deviceId the virtio device type (2 for block)
 * @param deviceFeatures feature bits the device offers
 * @param driverFeatures feature bits the driver accepted, a subset of {@code deviceFeatures}
 * @param deviceFeaturesSel the DeviceFeaturesSel register: which 32-bit half is read
 * @param driverFeaturesSel the DriverFeaturesSel register: which 32-bit half is written
 * @param queueSel the QueueSel register
 * @param status the device status byte
 * @param interruptStatus the InterruptStatus bits (used buffer 1, config change 2)
 * @param configGeneration the config space generation count
 * @param queues one state per virtqueue
 */
public record VirtioMmioState(int deviceId, long deviceFeatures, long driverFeatures,
                              int deviceFeaturesSel, int driverFeaturesSel, int queueSel,
                              int status, int interruptStatus, int configGeneration,
                              List<QueueState> queues) {

    /** Bumped only on an incompatible change of this record or of QueueState. */
    public static final int VERSION = 1;

    /**
     * Checks features, status and queue select, and copies the queue list.
     *
     * @throws IllegalArgumentException naming the first bad field
     */
    public VirtioMmioState {
        if ((driverFeatures & ~deviceFeatures) != 0) {
            throw new IllegalArgumentException(String.format(
                    "virtio state: driver features 0x%x not offered by the device (0x%x)", driverFeatures, deviceFeatures));
        }
        if (status < 0 || status > 0xff || (interruptStatus & ~3) != 0) {
            throw new IllegalArgumentException("virtio state: bad status " + status + " or interrupt status " + interruptStatus);
        }
        queues = List.copyOf(queues);
        if (queueSel < 0 || queueSel > queues.size()) {
            throw new IllegalArgumentException("virtio state: queue select " + queueSel + " out of range");
        }
    }
}
