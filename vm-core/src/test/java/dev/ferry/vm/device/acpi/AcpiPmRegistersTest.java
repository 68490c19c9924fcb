package dev.ferry.vm.device.acpi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.vm.device.state.AcpiPmState;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/** The PM1a registers as Linux's ACPI code writes them, and their state across a move. */
class AcpiPmRegistersTest {

    private static final int STATUS = 0;
    private static final int ENABLE = 2;
    private static final int CONTROL = 4;

    private final AcpiPmRegisters pm = new AcpiPmRegisters();
    private final MemorySegment word = Arena.ofAuto().allocate(2);

    private static int in(AcpiPmRegisters device, int offset, MemorySegment word) {
        device.read(offset, word);
        return Short.toUnsignedInt(word.get(ValueLayout.JAVA_SHORT_UNALIGNED, 0));
    }

    private void out(int offset, int value) {
        word.set(ValueLayout.JAVA_SHORT_UNALIGNED, 0, (short) value);
        pm.write(offset, word);
    }

    @Test
    void controlKeepsAcpiModeAndDropsASleepRequest() {
        assertEquals(AcpiPmState.SCI_EN, in(pm, CONTROL, word), "in ACPI mode from power-on");
        out(CONTROL, AcpiPmState.SLP_EN | 0x0400);
        assertEquals(AcpiPmState.SCI_EN | 0x0400, in(pm, CONTROL, word));
    }

    @Test
    void whatTheKernelWroteMovesToAFreshDevice() {
        out(ENABLE, 0x0121);
        out(CONTROL, 0x0c00);
        AcpiPmState state = pm.state();
        assertEquals(new AcpiPmState(0, 0x0121, 0x0c01), state);

        AcpiPmRegisters moved = new AcpiPmRegisters();
        moved.restore(state);
        assertEquals(state, moved.state());
        for (int offset : new int[] {STATUS, ENABLE, CONTROL}) {
            assertEquals(in(pm, offset, word), in(moved, offset, word), "register at +" + offset);
        }
    }

    @Test
    void aPendingStatusBitMovesAndIsClearedByWritingOne() {
        AcpiPmRegisters moved = new AcpiPmRegisters();
        moved.restore(new AcpiPmState(0x0101, 0x0100, AcpiPmState.SCI_EN));
        assertEquals(0x0101, in(moved, STATUS, word));
        word.set(ValueLayout.JAVA_SHORT_UNALIGNED, 0, (short) 0x0100);
        moved.write(STATUS, word);
        assertEquals(0x0001, in(moved, STATUS, word), "write 1 to clear, the other bit stays");
    }

    @Test
    void aStateFromAStreamIsCheckedBeforeADeviceTakesIt() {
        var wide = assertThrows(IllegalArgumentException.class, () -> new AcpiPmState(0x1_0000, 0, AcpiPmState.SCI_EN));
        assertTrue(wide.getMessage().contains("status = 65536 is not a 16-bit register"), wide.getMessage());
        var negative = assertThrows(IllegalArgumentException.class, () -> new AcpiPmState(0, -1, AcpiPmState.SCI_EN));
        assertTrue(negative.getMessage().contains("enable = -1"), negative.getMessage());
        var legacy = assertThrows(IllegalArgumentException.class, () -> new AcpiPmState(0, 0, 0));
        assertTrue(legacy.getMessage().contains("must have SCI_EN set"), legacy.getMessage());
        var sleeping = assertThrows(IllegalArgumentException.class,
                () -> new AcpiPmState(0, 0, AcpiPmState.SCI_EN | AcpiPmState.SLP_EN));
        assertTrue(sleeping.getMessage().contains("control 0x2001"), sleeping.getMessage());
    }
}
