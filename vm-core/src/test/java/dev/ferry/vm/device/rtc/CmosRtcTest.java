package dev.ferry.vm.device.rtc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.vm.device.state.CmosState;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

/** The clock as Linux's mc146818 code reads it: date in BCD, no update in progress, battery valid. */
class CmosRtcTest {

    private final CmosRtc rtc = new CmosRtc(Clock.fixed(Instant.parse("2026-12-05T04:31:59Z"), ZoneOffset.UTC));
    private final MemorySegment b = Arena.ofAuto().allocate(1);

    private int in(int reg) {
        b.set(ValueLayout.JAVA_BYTE, 0, (byte) (0x80 | reg)); // with the NMI-mask bit, as Linux writes it
        rtc.write(0, b);
        rtc.read(1, b);
        return b.get(ValueLayout.JAVA_BYTE, 0) & 0xff;
    }

    private void out(int reg, int value) {
        b.set(ValueLayout.JAVA_BYTE, 0, (byte) reg);
        rtc.write(0, b);
        b.set(ValueLayout.JAVA_BYTE, 0, (byte) value);
        rtc.write(1, b);
    }

    @Test
    void readsTheHostTimeInBcdAndSaysItIsValid() {
        assertEquals(0x59, in(0x00));
        assertEquals(0x31, in(0x02));
        assertEquals(0x04, in(0x04));
        assertEquals(0x05, in(0x07));
        assertEquals(0x12, in(0x08));
        assertEquals(0x26, in(0x09));
        assertEquals(0x20, in(0x32), "century");
        assertEquals(0x07, in(0x06), "Saturday is day 7 (Sunday 1)");
        assertEquals(0, in(0x0a) & 0x80, "no update in progress");
        assertEquals(0x02, in(0x0b), "24-hour BCD");
        assertEquals(0x80, in(0x0d), "valid RAM and time");
    }

    @Test
    void binaryModeTimeIsReadOnlyAndTheRestIsRam() {
        out(0x0b, 0x06);
        assertEquals(59, in(0x00));
        out(0x00, 0x11);
        assertEquals(59, in(0x00), "the time cannot be set");
        out(0x0a, 0xa6);
        assertEquals(0x26, in(0x0a), "UIP stays clear");
        out(0x40, 0x5a);
        assertEquals(0x5a, in(0x40));
    }

    @Test
    void aRestoredClockKeepsItsRamModeAndSelectedRegisterButTellsTheHostsTime() {
        out(0x0b, 0x06);
        out(0x40, 0x5a);
        b.set(ValueLayout.JAVA_BYTE, 0, (byte) 0x40);
        rtc.write(0, b);
        CmosRtc moved = new CmosRtc(Clock.fixed(Instant.parse("2026-12-05T04:32:07Z"), ZoneOffset.UTC));
        moved.restore(rtc.state());
        moved.read(1, b);
        assertEquals(0x5a, b.get(ValueLayout.JAVA_BYTE, 0) & 0xff, "the register the guest selected before the move");
        b.set(ValueLayout.JAVA_BYTE, 0, (byte) 0x00);
        moved.write(0, b);
        moved.read(1, b);
        assertEquals(7, b.get(ValueLayout.JAVA_BYTE, 0), "binary mode moved; the seconds are the new host's");
    }

    @Test
    void aStateFromAStreamIsCheckedBeforeAClockTakesIt() {
        var index = assertThrows(IllegalArgumentException.class, () -> new CmosState(128, new byte[128]));
        assertTrue(index.getMessage().contains("index 128"), index.getMessage());
        var shortRam = assertThrows(IllegalArgumentException.class, () -> new CmosState(0, new byte[64]));
        assertTrue(shortRam.getMessage().contains("64 bytes"), shortRam.getMessage());
        byte[] ram = new byte[128];
        CmosState state = new CmosState(1, ram);
        ram[0] = 9;
        assertEquals(0, state.ram()[0], "the state keeps its own copy");
    }
}
