package dev.ferry.vm.device.acpi;

import dev.ferry.vm.bus.BusDevice;
import dev.ferry.vm.device.state.AcpiPmState;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The ACPI fixed-hardware registers a full (not hardware-reduced) FADT must point at: the PM1a
 * event block (status, write 1 to clear; enable) at {@link #PORT} and the PM1a control block at
 * {@code PORT + 4}, with SCI_EN set, so the system reads as already in ACPI mode. No event ever
 * fires (there is no power button or PM timer), so the SCI is never raised; the registers only
 * have to hold what the kernel writes, and move with it ({@link #state}). A sleep request
 * (SLP_EN) is ignored.
 */
public final class AcpiPmRegisters implements BusDevice {

    /** PM1a_EVT_BLK; PM1a_CNT_BLK follows at PORT + 4. */
    public static final int PORT = 0x600;
    /** Ports decoded: the 4-byte event block and the 2-byte control block. */
    public static final int LENGTH = 6;
    /** Bytes of the event block (status and enable, 2 each). */
    public static final int EVENT_BLOCK_BYTES = 4;
    /** Bytes of the control block. */
    public static final int CONTROL_BLOCK_BYTES = 2;

    private int status;
    private int enable;
    private int control = AcpiPmState.SCI_EN;

    @Override
    public synchronized void read(long offset, MemorySegment data) {
        long packed = (status & 0xffffL) | (enable & 0xffffL) << 16 | (control & 0xffffL) << 32;
        for (int i = 0; i < data.byteSize(); i++) {
            data.set(ValueLayout.JAVA_BYTE, i, (byte) (packed >>> (8 * (offset + i))));
        }
    }

    @Override
    public synchronized void write(long offset, MemorySegment data) {
        for (int i = 0; i < data.byteSize() && offset + i < LENGTH; i++) {
            int at = (int) (offset + i);
            int value = Byte.toUnsignedInt(data.get(ValueLayout.JAVA_BYTE, i));
            int shift = 8 * (at & 1);
            switch (at >> 1) {
                case 0 -> status &= ~(value << shift);
                case 1 -> enable = (enable & ~(0xff << shift)) | value << shift;
                default -> control = ((control & ~(0xff << shift)) | value << shift | AcpiPmState.SCI_EN) & ~AcpiPmState.SLP_EN;
            }
        }
    }

    /**
     * The registers, at a pause.
     *
     * @return status, enable and control
     */
    public synchronized AcpiPmState state() {
        return new AcpiPmState(status, enable, control);
    }

    /**
     * Takes the registers a paused source had.
     *
     * @param state the source's registers, already checked by the record
     */
    public synchronized void restore(AcpiPmState state) {
        status = state.status();
        enable = state.enable();
        control = state.control();
    }
}
