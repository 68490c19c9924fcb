package dev.ferry.vm.device.virtio;

import java.util.List;

/** One request the driver made available: its head index (the used ring's id) and its buffers. */
public record DescriptorChain(int head, List<Descriptor> descriptors) {

    public DescriptorChain {
        descriptors = List.copyOf(descriptors);
    }
}
