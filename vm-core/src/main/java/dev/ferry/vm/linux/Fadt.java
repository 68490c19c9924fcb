package dev.ferry.vm.linux;

import dev.ferry.vm.device.acpi.AcpiPmRegisters;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The Fixed ACPI Description Table (ACPI 6.0, revision 6, 276 bytes): where the DSDT and FACS
 * lie, the SCI's interrupt and the PM1a event and control blocks ({@link AcpiPmRegisters}).
 *
 * <p>Not hardware-reduced, on purpose: with HW_REDUCED_ACPI Linux/x86 skips its timer setup (no
 * PIT, no HPET) and ticks only from the LAPIC timer, which the nested KVM of CI cannot be trusted
 * with (see LinuxBootTest). A full FADT keeps the PIT tick of {@code nolapic_timer}. No SMI
 * command port: the system is in ACPI mode from the start. No PM timer, no GPE blocks, no fixed
 * power or sleep button, no C2/C3, no VGA and no i8042 (IAPC_BOOT_ARCH); CMOS century at 0x32.
 */
final class Fadt {

    static final int SIZE = 276;
    private static final int REVISION = 6;
    private static final int MINOR_REVISION = 0;
    private static final int C2_UNSUPPORTED = 101;
    private static final int C3_UNSUPPORTED = 1001;
    private static final int CMOS_CENTURY = 0x32;
    private static final int BOOT_NO_VGA = 1 << 2;
    private static final int WBINVD = 1;
    private static final int PROC_C1 = 1 << 2;
    private static final int NO_POWER_BUTTON = 1 << 4;
    private static final int NO_SLEEP_BUTTON = 1 << 5;
    private static final int SYSTEM_IO = 1;

    private Fadt() {
    }

    static byte[] build(long facs, long dsdt, int sciGsi) {
        ByteBuffer b = ByteBuffer.allocate(SIZE - AcpiTable.HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        int eventBlock = AcpiPmRegisters.PORT;
        int controlBlock = AcpiPmRegisters.PORT + AcpiPmRegisters.EVENT_BLOCK_BYTES;
        // FACS through X_FIRMWARE_CTRL only: given in both fields, ACPICA installs and lists it twice.
        b.putInt(at(40), (int) dsdt);
        b.putShort(at(46), (short) sciGsi);
        b.putInt(at(56), eventBlock).putInt(at(64), controlBlock);
        b.put(at(88), (byte) AcpiPmRegisters.EVENT_BLOCK_BYTES).put(at(89), (byte) AcpiPmRegisters.CONTROL_BLOCK_BYTES);
        b.putShort(at(96), (short) C2_UNSUPPORTED).putShort(at(98), (short) C3_UNSUPPORTED);
        b.put(at(108), (byte) CMOS_CENTURY);
        b.putShort(at(109), (short) BOOT_NO_VGA);
        b.putInt(at(112), WBINVD | PROC_C1 | NO_POWER_BUTTON | NO_SLEEP_BUTTON);
        b.put(at(131), (byte) MINOR_REVISION);
        b.putLong(at(132), facs).putLong(at(140), dsdt);
        systemIo(b, at(148), eventBlock, AcpiPmRegisters.EVENT_BLOCK_BYTES);
        systemIo(b, at(172), controlBlock, AcpiPmRegisters.CONTROL_BLOCK_BYTES);
        return AcpiTable.of("FACP", REVISION, b.array());
    }

    /** A Generic Address Structure for {@code bytes} of I/O ports at {@code port}, access size left to the OS. */
    private static void systemIo(ByteBuffer b, int at, int port, int bytes) {
        b.put(at, (byte) SYSTEM_IO).put(at + 1, (byte) (8 * bytes)).put(at + 2, (byte) 0).put(at + 3, (byte) 0)
                .putLong(at + 4, port);
    }

    /** The body offset of the field the spec places at table offset {@code tableOffset}. */
    private static int at(int tableOffset) {
        return tableOffset - AcpiTable.HEADER_BYTES;
    }
}
