package dev.ferry.vm.bus;

import java.lang.foreign.MemorySegment;

/**
 * A device on the port-I/O or MMIO bus. {@code offset} is relative to the range the device was
 * registered at; {@code data} is the 1, 2, 4 or 8 bytes of the access (little-endian), a view
 * straight into the vCPU's kvm_run area, so an access costs no allocation.
 */
public interface BusDevice {

    /** Fills {@code data} with what the guest reads. */
    void read(long offset, MemorySegment data);

    /** Takes what the guest writes. */
    void write(long offset, MemorySegment data);
}
