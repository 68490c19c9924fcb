package dev.ferry.kvm;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Runs {@link TestGuest}'s program on this host's KVM: exits, guest memory and the dirty log. */
@Tag("kvm")
class LongModeGuestTest {

    @BeforeEach
    void needKvm() {
        TestGuest.assumeKvm();
    }

    @Test
    void guestExitsWithItsPortAndMmioAccessesAndLogsExactlyThePagesItWrites() {
        try (TestGuest guest = new TestGuest(true, false, false)) {
            VcpuExit.IoOut out = assertInstanceOf(VcpuExit.IoOut.class, guest.vcpu.run());
            assertEquals(0x10, out.port());
            assertEquals(1, out.size());
            assertEquals(1, out.count());
            assertEquals(0x42, out.data().get(JAVA_BYTE, 0));
            assertInstanceOf(VcpuExit.Hlt.class, guest.vcpu.run());
            assertEquals(TestGuest.VALUE, guest.ram.segment().get(JAVA_LONG, TestGuest.FIRST_PAGE << 12));
            assertEquals(List.of(TestGuest.FIRST_PAGE), dirtyPages(guest.slot.fetchDirtyLog()));

            VcpuExit.MmioWrite write = assertInstanceOf(VcpuExit.MmioWrite.class, guest.vcpu.run());
            assertEquals(TestGuest.MMIO, write.address());
            assertEquals(4, write.data().byteSize());
            assertEquals((int) TestGuest.VALUE, write.data().get(JAVA_INT, 0));
            VcpuExit.MmioRead read = assertInstanceOf(VcpuExit.MmioRead.class, guest.vcpu.run());
            assertEquals(TestGuest.MMIO + 8, read.address());
            assertEquals(8, read.data().byteSize());
            read.data().set(JAVA_LONG, 0, 0x0123_4567_89ab_cdefL);
            assertInstanceOf(VcpuExit.Hlt.class, guest.vcpu.run());

            assertEquals(0x0123_4567_89ab_cdefL, guest.vcpu.getRegs().rdx());
            assertEquals(TestGuest.SPIN, guest.vcpu.getRegs().rip());
            assertEquals(TestGuest.VALUE, guest.ram.segment().get(JAVA_LONG, TestGuest.SECOND_PAGE << 12));
            // KVM cleared the log at the first fetch: only the page written since shows up.
            assertEquals(List.of(TestGuest.SECOND_PAGE), dirtyPages(guest.slot.fetchDirtyLog()));
        }
    }

    @Test
    void manualProtectKeepsPagesDirtyUntilCleared() {
        try (TestGuest guest = new TestGuest(true, true, false)) {
            runToHlt(guest);
            DirtyBitmap first = guest.slot.fetchDirtyLog();
            assertEquals(List.of(TestGuest.FIRST_PAGE), dirtyPages(first));
            assertEquals(List.of(TestGuest.FIRST_PAGE), dirtyPages(guest.slot.fetchDirtyLog()));
            guest.slot.clearDirtyLog(first);
            runToHlt(guest);
            assertEquals(List.of(TestGuest.SECOND_PAGE), dirtyPages(guest.slot.fetchDirtyLog()));
        }
    }

    @Test
    void dirtyLoggingTurnsOnAndOffOnALiveSlot() {
        try (TestGuest guest = new TestGuest(false, false, false)) {
            assertThrows(IllegalStateException.class, guest.slot::fetchDirtyLog);
            runToHlt(guest);
            guest.slot.logDirtyPages(true);
            runToHlt(guest);
            assertEquals(List.of(TestGuest.SECOND_PAGE), dirtyPages(guest.slot.fetchDirtyLog()));
            guest.slot.logDirtyPages(false);
            IllegalStateException off = assertThrows(IllegalStateException.class, guest.slot::fetchDirtyLog);
            assertEquals("memory slot 0 does not log dirty pages", off.getMessage());
        }
    }

    /** Runs, answering I/O and MMIO reads with zeros, until the guest halts. */
    static void runToHlt(TestGuest guest) {
        for (int exits = 0; exits < 10; exits++) {
            VcpuExit exit = guest.vcpu.run();
            switch (exit) {
                case VcpuExit.Hlt hlt -> {
                    return;
                }
                case VcpuExit.IoOut io -> { }
                case VcpuExit.MmioWrite mmio -> { }
                case VcpuExit.MmioRead mmio -> mmio.data().fill((byte) 0);
                default -> throw new AssertionError("unexpected exit " + exit);
            }
        }
        throw new AssertionError("the guest did not halt within 10 exits");
    }

    static List<Long> dirtyPages(DirtyBitmap bitmap) {
        return bitmap.dirtyPages().boxed().toList();
    }
}
