package dev.ferry.vm.bus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class BusTest {

    /** Records offsets it sees and answers reads with the offset. */
    private static final class Probe implements BusDevice {
        final List<Long> writes = new ArrayList<>();

        @Override
        public void read(long offset, MemorySegment data) {
            data.set(ValueLayout.JAVA_BYTE, 0, (byte) offset);
        }

        @Override
        public void write(long offset, MemorySegment data) {
            writes.add(offset);
        }

        @Override
        public String toString() {
            return "probe";
        }
    }

    private final MemorySegment one = Arena.ofAuto().allocate(1);
    private final MemorySegment four = Arena.ofAuto().allocate(4);

    @Test
    void routesByRangeWithRelativeOffsets() {
        Bus bus = new Bus("pio");
        Probe uart = new Probe();
        Probe exit = new Probe();
        bus.register(0x3f8, 8, uart);
        bus.register(0x501, 4, exit);
        bus.register(0x400, 0x101, new Probe()); // adjacent to the exit port, not overlapping
        assertTrue(bus.write(0x3fd, one));
        assertTrue(bus.write(0x501, four));
        assertEquals(List.of(5L), uart.writes);
        assertEquals(List.of(0L), exit.writes);
        assertTrue(bus.read(0x3ff, one));
        assertEquals(7, one.get(ValueLayout.JAVA_BYTE, 0));
    }

    @Test
    void unmappedAccessIsReportedNotFatal() {
        Bus bus = new Bus("mmio");
        bus.register(0xd0000000L, 0x200, new Probe());
        assertFalse(bus.read(0xcfffffffL, one));
        assertEquals((byte) 0xff, one.get(ValueLayout.JAVA_BYTE, 0));
        assertFalse(bus.write(0xd0000200L, four), "just past the end");
        assertFalse(bus.read(0xd00001feL, four), "straddles the end");
        assertFalse(bus.write(0, one));
        assertEquals(4, bus.unmappedAccesses());
    }

    /** A guest scanning 33,000 times for PCI through 0xcf8 (Linux at boot) gets 27 debug lines, not 33,000. */
    @Test
    void unmappedAccessesAreLoggedEachAtFirstThenAtPowersOfTwo() {
        long lines = LongStream.rangeClosed(1, 33_278).filter(Bus::logged).count();
        assertEquals(Bus.LOGGED_EACH + 11, lines, "1-16, then 32, 64, ..., 32768");
        assertTrue(Bus.logged(Bus.LOGGED_EACH) && !Bus.logged(Bus.LOGGED_EACH + 1) && Bus.logged(1024) && !Bus.logged(1025));
    }

    @Test
    void overlapIsRefusedNamingBothRanges() {
        Bus bus = new Bus("pio");
        bus.register(0x3f8, 8, new Probe());
        var e = assertThrows(IllegalArgumentException.class, () -> bus.register(0x3ff, 2, new Probe()));
        assertEquals("pio bus: range 0x3ff-0x400 overlaps 0x3f8-0x3ff of probe", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> bus.register(0x100, 0, new Probe()));
    }

    @Test
    void manyRangesStillFindTheRightOne() {
        Bus bus = new Bus("mmio");
        List<Probe> probes = new ArrayList<>();
        for (int i = 99; i >= 0; i--) {
            Probe p = new Probe();
            probes.add(0, p);
            bus.register(0xd0000000L + i * 0x200L, 0x200, p);
        }
        for (int i = 0; i < 100; i++) {
            bus.write(0xd0000000L + i * 0x200L + 0x50, four);
        }
        for (Probe p : probes) {
            assertEquals(List.of(0x50L), p.writes);
        }
    }
}
