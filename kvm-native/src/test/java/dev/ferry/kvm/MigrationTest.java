package dev.ferry.kvm;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** A guest stopped in one VM continues in a fresh VM from its saved vCPU state and RAM. */
@Tag("kvm")
class MigrationTest {

    @BeforeEach
    void needKvm() {
        TestGuest.assumeKvm();
    }

    @Test
    void savedGuestFinishesItsProgramInAnotherVm() {
        try (TestGuest source = new TestGuest(false, false, false);
             TestGuest destination = new TestGuest(false, false, false)) {
            LongModeGuestTest.runToHlt(source);
            VcpuState state = source.vcpu.saveState();
            MemorySegment.copy(source.ram.segment(), 0, destination.ram.segment(), 0, TestGuest.RAM);

            destination.vcpu.restoreState(state);
            assertInstanceOf(VcpuExit.MmioWrite.class, destination.vcpu.run());
            VcpuExit.MmioRead read = assertInstanceOf(VcpuExit.MmioRead.class, destination.vcpu.run());
            read.data().set(JAVA_LONG, 0, 77);
            assertInstanceOf(VcpuExit.Hlt.class, destination.vcpu.run());

            assertEquals(77, destination.vcpu.getRegs().rdx());
            assertEquals(TestGuest.VALUE, destination.ram.segment().get(JAVA_LONG, TestGuest.SECOND_PAGE << 12));
            assertEquals(0, source.ram.segment().get(JAVA_LONG, TestGuest.SECOND_PAGE << 12));
        }
    }
}
