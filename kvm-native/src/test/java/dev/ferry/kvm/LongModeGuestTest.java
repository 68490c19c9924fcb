package dev.ferry.kvm;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Runs {@link TestGuest}'s program on this host's KVM: exits, guest memory and the dirty log. The
 * log holds exactly the data pages the guest wrote, plus two things KVM adds that the tests
 * account for by name: the guest's page-table pages, all three, in every round after the vCPU
 * walked them on AMD (nested paging treats guest page-table accesses as writes, A/D bits preset
 * or not), and, in the first round only, pages KVM mapped writable at their first touch (the code
 * page).
 */
@Tag("kvm")
class LongModeGuestTest {

    private static final List<Long> TABLE_PAGES = LongStream.range(0, LongMode.PAGE_TABLE_BYTES / HostMemory.PAGE_SIZE)
            .map(i -> (TestGuest.TABLES >> 12) + i).boxed().toList();
    private static final long CODE_PAGE = TestGuest.CODE >> 12;

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
            assertFirstRoundHoldsNoData(guest.slot.fetchDirtyLog());
            assertInstanceOf(VcpuExit.Hlt.class, guest.vcpu.run());
            assertEquals(TestGuest.VALUE, guest.ram.segment().get(JAVA_LONG, TestGuest.FIRST_PAGE << 12));
            assertEquals(List.of(TestGuest.FIRST_PAGE), dataPages(guest.slot.fetchDirtyLog()));

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
            // KVM cleared the log at the fetch: only the page written since shows up.
            assertEquals(List.of(TestGuest.SECOND_PAGE), dataPages(guest.slot.fetchDirtyLog()));
        }
    }

    @Test
    void manualProtectKeepsPagesDirtyUntilCleared() {
        try (TestGuest guest = new TestGuest(true, true, false)) {
            assertInstanceOf(VcpuExit.IoOut.class, guest.vcpu.run());
            DirtyBitmap touched = guest.slot.fetchDirtyLog();
            assertFirstRoundHoldsNoData(touched);
            guest.slot.clearDirtyLog(touched);
            runToHlt(guest);
            DirtyBitmap first = guest.slot.fetchDirtyLog();
            assertEquals(List.of(TestGuest.FIRST_PAGE), dataPages(first));
            assertEquals(List.of(TestGuest.FIRST_PAGE), dataPages(guest.slot.fetchDirtyLog()));
            guest.slot.clearDirtyLog(first);
            runToHlt(guest);
            assertEquals(List.of(TestGuest.SECOND_PAGE), dataPages(guest.slot.fetchDirtyLog()));
        }
    }

    @Test
    void dirtyLoggingTurnsOnAndOffOnALiveSlot() {
        try (TestGuest guest = new TestGuest(false, false, false)) {
            assertThrows(IllegalStateException.class, guest.slot::fetchDirtyLog);
            runToHlt(guest);
            guest.slot.logDirtyPages(true);
            runToHlt(guest);
            assertEquals(List.of(TestGuest.SECOND_PAGE), dataPages(guest.slot.fetchDirtyLog()));
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

    /**
     * The logged pages less the page-table pages, after checking those are logged all together
     * (AMD: the vCPU walked them) or not at all (Intel: preset A/D bits mean no write).
     */
    static List<Long> dataPages(DirtyBitmap bitmap) {
        List<Long> all = dirtyPages(bitmap);
        List<Long> tables = all.stream().filter(TABLE_PAGES::contains).toList();
        assertTrue(tables.isEmpty() || tables.equals(TABLE_PAGES), "some page-table pages logged: " + all);
        return all.stream().filter(page -> !TABLE_PAGES.contains(page)).toList();
    }

    /** Before the guest wrote anything, the log may hold only what the vCPU touched: tables and code. */
    private static void assertFirstRoundHoldsNoData(DirtyBitmap bitmap) {
        List<Long> data = dataPages(bitmap);
        assertTrue(List.of(CODE_PAGE).containsAll(data), "pages logged before the guest wrote any: " + data);
    }
}
