package dev.ferry.kvm;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.ferry.kvm.bindings.CLayouts;
import dev.ferry.kvm.bindings.KvmConstants;
import dev.ferry.kvm.bindings.KvmRun;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Exits written into a kvm_run-shaped buffer the way KVM writes them decode to the right records. */
class ExitDecoderTest {

    private final Arena arena = Arena.ofConfined();
    private final MemorySegment run = arena.allocate(3 * 4096, 4096);
    private final ExitDecoder decoder = new ExitDecoder(run);

    @AfterEach
    void free() {
        arena.close();
    }

    private void set(String field, int size, long value) {
        long at = CLayouts.offset(KvmRun.LAYOUT, field);
        switch (size) {
            case 1 -> run.set(JAVA_BYTE, at, (byte) value);
            case 2 -> run.set(JAVA_SHORT, at, (short) value);
            case 4 -> run.set(JAVA_INT, at, (int) value);
            default -> run.set(JAVA_LONG, at, value);
        }
    }

    private void ioExit(int direction, int size, int port, int count) {
        set("exit_reason", 4, KvmConstants.KVM_EXIT_IO);
        set("io.direction", 1, direction);
        set("io.size", 1, size);
        set("io.port", 2, port);
        set("io.count", 4, count);
        set("io.data_offset", 8, 4096);
    }

    @Test
    void portOutputIsAViewOfTheDataPage() {
        ioExit(KvmConstants.KVM_EXIT_IO_OUT, 2, 0xcf8, 1);
        run.set(JAVA_SHORT, 4096, (short) 0x1234);
        VcpuExit.IoOut out = assertInstanceOf(VcpuExit.IoOut.class, decoder.decode());
        assertEquals(new VcpuExit.IoOut(0xcf8, 2, 1, out.data()), out);
        assertEquals(0x1234, out.data().get(JAVA_SHORT, 0));
        assertEquals(2, out.data().byteSize());
        assertEquals(run.address() + 4096, out.data().address());
    }

    @Test
    void repeatedPortInputCoversEveryElement() {
        ioExit(KvmConstants.KVM_EXIT_IO_IN, 4, 0x1f0, 3);
        VcpuExit.IoIn in = assertInstanceOf(VcpuExit.IoIn.class, decoder.decode());
        assertEquals(12, in.data().byteSize());
        in.data().set(JAVA_INT, 8, 7);
        assertEquals(7, run.get(JAVA_INT, 4096 + 8));
    }

    @Test
    void mmioWriteAndReadShareTheKvmRunDataField() {
        set("exit_reason", 4, KvmConstants.KVM_EXIT_MMIO);
        set("mmio.phys_addr", 8, 0xfee0_0000L);
        set("mmio.len", 4, 4);
        set("mmio.is_write", 1, 1);
        set("mmio.data", 4, 0xdead_beefL);
        VcpuExit.MmioWrite write = assertInstanceOf(VcpuExit.MmioWrite.class, decoder.decode());
        assertEquals(0xfee0_0000L, write.address());
        assertEquals(0xdead_beef, write.data().get(JAVA_INT, 0));
        set("mmio.is_write", 1, 0);
        set("mmio.len", 4, 8);
        VcpuExit.MmioRead read = assertInstanceOf(VcpuExit.MmioRead.class, decoder.decode());
        read.data().set(JAVA_LONG, 0, 42);
        assertEquals(42, run.get(JAVA_LONG, CLayouts.offset(KvmRun.LAYOUT, "mmio.data")));
    }

    @Test
    void errorAndEventExitsCarryTheirData() {
        set("exit_reason", 4, KvmConstants.KVM_EXIT_INTERNAL_ERROR);
        set("internal.suberror", 4, 1);
        set("internal.ndata", 4, 2);
        run.set(JAVA_LONG, KvmRun.INTERNAL_DATA, 5);
        run.set(JAVA_LONG, KvmRun.INTERNAL_DATA + 8, 6);
        assertEquals(new VcpuExit.InternalError(1, List.of(5L, 6L)), decoder.decode());
        assertEquals("instruction emulation failed", new VcpuExit.InternalError(1, List.of()).meaning());
        assertEquals("suberror 9", new VcpuExit.InternalError(9, List.of()).meaning());

        set("exit_reason", 4, KvmConstants.KVM_EXIT_SYSTEM_EVENT);
        set("system_event.type", 4, 2);
        set("system_event.ndata", 4, 0);
        assertEquals(new VcpuExit.SystemEvent(2, List.of()), decoder.decode());

        set("exit_reason", 4, KvmConstants.KVM_EXIT_FAIL_ENTRY);
        set("fail_entry.hardware_entry_failure_reason", 8, 0x21);
        set("fail_entry.cpu", 4, 1);
        assertEquals(new VcpuExit.FailEntry(0x21, 1), decoder.decode());

        set("exit_reason", 4, KvmConstants.KVM_EXIT_HLT);
        assertInstanceOf(VcpuExit.Hlt.class, decoder.decode());
        set("exit_reason", 4, KvmConstants.KVM_EXIT_INTR);
        assertSame(ExitDecoder.INTERRUPTED, decoder.decode());
        set("exit_reason", 4, 99);
        assertEquals(new VcpuExit.Unknown(99, 0), decoder.decode());
    }

    @Test
    void immediateExitIsSetAndClearedInPlace() {
        long at = CLayouts.offset(KvmRun.LAYOUT, "immediate_exit");
        KvmRun.immediateExit(run, true);
        assertEquals(1, run.get(JAVA_BYTE, at));
        KvmRun.immediateExit(run, false);
        assertEquals(0, run.get(JAVA_BYTE, at));
    }
}
