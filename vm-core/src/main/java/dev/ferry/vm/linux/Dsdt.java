package dev.ferry.vm.linux;

import java.util.List;

/**
 * The Differentiated System Description Table: under {@code \_SB} one device per virtio-mmio
 * window, {@code _HID "LNRO0005"} (the ACPI id Linux's virtio_mmio driver binds), a {@code _UID},
 * and a {@code _CRS} with the window and its edge-triggered, active-high interrupt.
 */
final class Dsdt {

    static final String VIRTIO_MMIO_HID = "LNRO0005";
    /** DSDT revision 2: integers are 64 bits. */
    private static final int REVISION = 2;
    private static final int MAX_DEVICES = 256;

    private Dsdt() {
    }

    static byte[] build(List<VirtioMmioDevice> devices) {
        if (devices.size() > MAX_DEVICES) {
            throw new IllegalArgumentException(devices.size() + " virtio-mmio devices: the DSDT names at most " + MAX_DEVICES);
        }
        byte[][] declared = new byte[devices.size()][];
        for (int i = 0; i < devices.size(); i++) {
            VirtioMmioDevice d = devices.get(i);
            byte[] resources = ResourceTemplate.of(ResourceTemplate.memory32Fixed(d.base(), d.length()),
                    ResourceTemplate.interrupt(d.gsi()));
            declared[i] = Aml.device(deviceName(i),
                    Aml.name("_HID", Aml.string(VIRTIO_MMIO_HID)),
                    Aml.name("_UID", Aml.integer(i)),
                    Aml.name("_CRS", Aml.buffer(resources)));
        }
        return AcpiTable.of("DSDT", REVISION, devices.isEmpty() ? new byte[0] : Aml.scope("\\_SB_", declared));
    }

    /** VR00, VR01, ... VRFF. */
    static String deviceName(int index) {
        return String.format("VR%02X", index);
    }
}
