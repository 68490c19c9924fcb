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
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A guest whose vCPU KVM cannot carry on ends its machine with a report of what can be known: the
 * exit reason and what the guest last said. On AMD the registers read after KVM_EXIT_SHUTDOWN are the
 * reset state (rip 0xfff0), so that report must not quote them; after KVM_EXIT_INTERNAL_ERROR
 * nothing was reset and the rip is the instruction KVM gave up on.
 */
@Tag("kvm")
class GuestFailureReportTest {

    private static final byte[] UD2 = {0x0f, 0x0b};
    /** #UD: the guest's ring-3 workload reaches the ring-0 handler of this vector with a ud2. */
    private static final int INVALID_OPCODE = 6;
    /** #GP: on PVM a ring-3 {@code out} raises it (PVM ignores IOPL) and the guest's handler does the {@code out}. */
    private static final int GENERAL_PROTECTION = 13;
    /** Below the identity map's 4 GiB, above the 64 MiB of RAM and below the virtio window: no memory, no device. */
    private static final long UNBACKED = 0xc000_0000L;
    /** The little-endian fields of an IDT gate. */
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

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
            CpuSnapshot cpu = pausedAfterProgress(machine, console);
            // The paused guest's next instructions become ud2 and its IDT all zeros: #UD finds no
            // gate (#GP), neither does #GP (#DF), nor #DF: a triple fault, on any x86 host.
            fillWithUd2(machine.memory().slice(cpu.regs().rip(), 16));
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

    /**
     * KVM emulates an access to guest-physical memory that nothing backs, to hand it to the VMM as
     * MMIO; its emulator has no x87 loads, so {@code flds} there fails, and at CPL 0 KVM stops with
     * KVM_EXIT_INTERNAL_ERROR (the kernel's own selftests force this exit the same way).
     */
    @Test
    void anInternalErrorNamesTheExitTheFailedInstructionAndTheGuestsLastReport() throws Exception {
        MemoryUartSink console = new MemoryUartSink();
        try (Machine machine = Machine.boot(TestMachines.spec(TestMachines.newDisk(dir, "disk.raw")), console)) {
            CpuSnapshot cpu = pausedAfterProgress(machine, console);
            long handler = gateTarget(gate(machine, cpu, INVALID_OPCODE));
            // The #UD handler (ring 0) becomes: movabs $UNBACKED, %rax; flds (%rax); and the workload's
            // next instruction a ud2 that enters it. On PVM the pause may have come between a ring-3
            // out's #GP and its delivery, rip still at the out: the #GP handler would then find a ud2
            // where it looks for the out and panic, so #GP enters the same code.
            setGateTarget(gate(machine, cpu, GENERAL_PROTECTION), handler);
            ByteBuffer code = ByteBuffer.allocate(14).order(ByteOrder.LITTLE_ENDIAN);
            code.put((byte) 0x48).put((byte) 0xb8).putLong(UNBACKED).put((byte) 0xd9).put((byte) 0x00).put((byte) 0xeb).put((byte) 0xfe);
            MemorySegment.copy(MemorySegment.ofArray(code.array()), 0, machine.memory().slice(handler, 14), 0, 14);
            fillWithUd2(machine.memory().slice(cpu.regs().rip(), 16));
            machine.resume();

            assertEquals(RunState.FAILED, machine.awaitEnd(TestMachines.GUEST_TIMEOUT), machine.stateReason());
            String reason = machine.stateReason();
            assertTrue(reason.startsWith("vCPU 0: KVM internal error (KVM_EXIT_INTERNAL_ERROR): instruction emulation failed, suberror 1"),
                    reason);
            assertTrue(reason.contains(" at rip 0x" + Long.toHexString(handler + 10) + "; the guest's last report: progress "),
                    reason);
            assertTrue(reason.contains("its status: running after"), reason);
        }
    }

    /** Starts the machine and pauses it once the guest has reported progress (so a last report exists). */
    private static CpuSnapshot pausedAfterProgress(Machine machine, MemoryUartSink console) throws Exception {
        machine.start();
        // The guest reports a progress line on the exit port after printing it: once a second
        // line is out, the first one's report is in.
        String first = awaitLine(console, l -> l.startsWith("ferry-guest: progress"), "'progress ...'");
        awaitLine(console, l -> l.startsWith("ferry-guest: progress") && !l.equals(first), "a second 'progress ...'");
        machine.pause();
        return machine.snapshot().cpus().getFirst();
    }

    private static void fillWithUd2(MemorySegment code) {
        for (long at = 0; at < code.byteSize(); at++) {
            code.set(ValueLayout.JAVA_BYTE, at, UD2[(int) (at % 2)]);
        }
    }

    /** The 16-byte IDT gate of a vector in the paused guest's memory. */
    private static MemorySegment gate(Machine machine, CpuSnapshot cpu, int vector) {
        return machine.memory().slice(cpu.sregs().idt().base() + 16L * vector, 16);
    }

    /** The handler address of a 64-bit IDT gate: offset bits 0-15, 16-31 and 32-63 at bytes 0, 6 and 8. */
    private static long gateTarget(MemorySegment gate) {
        return Short.toUnsignedLong(gate.get(U16, 0))
                | Short.toUnsignedLong(gate.get(U16, 6)) << 16
                | Integer.toUnsignedLong(gate.get(U32, 8)) << 32;
    }

    private static void setGateTarget(MemorySegment gate, long target) {
        gate.set(U16, 0, (short) target);
        gate.set(U16, 6, (short) (target >>> 16));
        gate.set(U32, 8, (int) (target >>> 32));
    }
}
