package dev.ferry.vm.device;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ExitDeviceTest {

    @Test
    void decodesWhatTheGuestWrites() {
        List<GuestReport> seen = new ArrayList<>();
        ExitDevice exit = new ExitDevice(seen::add);
        MemorySegment d = Arena.ofAuto().allocate(4);
        for (int raw : new int[] {0x01, (13 << 8) | 0x05, (7 << 8) | 0x02, 0x06, 0x1234_56ff}) {
            d.set(ValueLayout.JAVA_INT_UNALIGNED, 0, raw);
            exit.write(0, d);
        }
        assertEquals(List.of(
                new GuestReport(GuestReport.Kind.READY, 0),
                new GuestReport(GuestReport.Kind.PANIC, 13),
                new GuestReport(GuestReport.Kind.PROGRESS, 7),
                new GuestReport(GuestReport.Kind.STOP, 0),
                new GuestReport(GuestReport.Kind.UNKNOWN, 0x1234_56ff)), seen);
        for (GuestReport r : seen) {
            assertEquals(r, GuestReport.decode(r.encode()));
        }
    }
}
