package dev.ferry.vm.device.virtio;

/** One buffer of a request: guest address, length, and whether the device writes it. */
public record Descriptor(long address, int length, boolean deviceWrites) {}
