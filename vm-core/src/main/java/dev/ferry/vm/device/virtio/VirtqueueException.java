package dev.ferry.vm.device.virtio;

/** The driver broke the virtqueue's rules; the device stops and asks for a reset. */
public final class VirtqueueException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public VirtqueueException(String message) {
        super(message);
    }
}
