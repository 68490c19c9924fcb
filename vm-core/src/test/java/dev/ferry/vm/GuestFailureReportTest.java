package dev.ferry.vm;

import static dev.ferry.vm.TestMachines.awaitLine;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.kvm.DTable;
import dev.ferry.vm.device.serial.MemoryUartSink;
import dev.ferry.vm.state.CpuSnapshot;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A guest that triple-faults on KVM ends its machine with a report of what can be known: the exit
 * reason and what the guest last said. On AMD the registers read after KVM_EXIT_SHUTDOWN are the
 * reset state (rip 0xfff0), so the report must not quote them.
 */
@Tag("kvm")
class GuestTripleFaultTest {

    private static final byte[] UD2 = {0x0f, 0x0b};

    @TempDir
    Path dir;

    @BeforeEach
    void needKvm() {
        KvmHost.assumeKvm();
    }

    @Test
    void aTripleFaultNamesTheExitAndTheGuestsLastReportNotTheResetRegisters() throws Exception {
        MemoryUartSink console = new MemoryUartSink();
        try (Machine machine = Machine.boot(TestMachines.spec(TestMachines.newDisk(dir, "disk.raw")), console)) {
            machine.start();
            // The guest reports a progress line on the exit port after printing it: once a second
            // line is out, the first one's report is in.
            String first = awaitLine(console, l -> l.startsWith("ferry-guest: progress"), "'progress ...'");
            awaitLine(console, l -> l.startsWith("ferry-guest: progress") && !l.equals(first), "a second 'progress ...'");
            machine.pause();

            // The paused guest's next instructions become ud2 and its IDT all zeros: #UD finds no
            // gate (#GP), neither does #GP (#DF), nor #DF: a triple fault, on any x86 host.
            CpuSnapshot cpu = machine.snapshot().cpus().getFirst();
            MemorySegment code = machine.memory().slice(cpu.regs().rip(), 16);
            for (long at = 0; at < code.byteSize(); at++) {
                code.set(ValueLayout.JAVA_BYTE, at, UD2[(int) (at % 2)]);
            }
            DTable idt = cpu.sregs().idt();
            machine.memory().slice(idt.base(), idt.limit() + 1L).fill((byte) 0);
            machine.resume();

            assertEquals(RunState.FAILED, machine.awaitEnd(TestMachines.GUEST_TIMEOUT), machine.stateReason());
            String reason = machine.stateReason();
            assertTrue(reason.startsWith("vCPU 0: triple fault (KVM_EXIT_SHUTDOWN); the guest's last report: progress "),
                    reason);
            assertTrue(reason.contains("its status: running after"), reason);
            assertFalse(reason.contains("0xfff0"), "post-reset registers quoted: " + reason);
        }
    }
}
