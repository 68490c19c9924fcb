package dev.ferry.vm.linux;

/**
 * A virtio-mmio device as the Linux guest is told of it (in the DSDT, as ACPI id LNRO0005): its
 * register window and the IOAPIC pin it raises, edge-triggered and active high.
 *
 * @param base the window's guest-physical address, below 4 GiB
 * @param length the window's size in bytes
 * @param gsi the IOAPIC pin (global system interrupt) the device pulses
 */
public record VirtioMmioDevice(long base, long length, int gsi) {

    /**
     * Checks the window lies below 4 GiB and the pin is one of the IOAPIC's.
     *
     * @param base the window's address
     * @param length its size
     * @param gsi its IOAPIC pin
     */
    public VirtioMmioDevice {
        if (base < 0 || length <= 0 || base + length > 1L << 32) {
            throw new IllegalArgumentException(String.format("virtio-mmio window 0x%x+0x%x: must lie below 4 GiB", base, length));
        }
        if (gsi < 0 || gsi >= MpTable.IOAPIC_PINS) {
            throw new IllegalArgumentException("virtio-mmio interrupt " + gsi + ": the IOAPIC has pins 0-"
                    + (MpTable.IOAPIC_PINS - 1));
        }
    }
}
