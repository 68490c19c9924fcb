package dev.ferry.vm.bus;

/** An edge-triggered interrupt a device raises towards the guest (an irqfd, or KVM_IRQ_LINE). */
@FunctionalInterface
public interface InterruptLine {

    void trigger();
}
