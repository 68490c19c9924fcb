package dev.ferry.vm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.kvm.Msr;
import dev.ferry.vm.block.BlockImages;
import dev.ferry.vm.device.state.UartState;
import dev.ferry.vm.device.serial.MemoryUartSink;
import dev.ferry.vm.guest.GuestCommand;
import dev.ferry.vm.guest.GuestStatus;
import dev.ferry.vm.state.CpuSnapshot;
import dev.ferry.vm.state.MachineSnapshot;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/** What the machine tests share: a small machine, waiting on the guest, checking its disk. */
final class TestMachines {

    static final long MEMORY = 64L << 20;
    static final int BLOCKS = 1024;
    static final int BLOCK_SIZE = 4096;
    static final Duration GUEST_TIMEOUT = Duration.ofSeconds(90);

    private TestMachines() {
    }

    /** A 64 MiB machine whose guest dirties memory and writes and reads its first 1024 blocks. */
    static MachineSpec spec(Path disk) {
        GuestWorkload workload = new GuestWorkload(4_000_000, 512_000, BLOCKS, BLOCK_SIZE, 30, 4, 500, 7);
        return new MachineSpec(MEMORY, 1, List.of(DiskSpec.of(disk)), workload, false);
    }

    static Path newDisk(Path dir, String name) throws IOException {
        Path disk = dir.resolve(name);
        BlockImages.createRaw(disk, 8L << 20);
        return disk;
    }

    static String awaitLine(MemoryUartSink console, Predicate<String> match, String what) throws InterruptedException {
        return console.awaitLine(match, GUEST_TIMEOUT)
                .orElseThrow(() -> new AssertionError("no UART line " + what + " within " + GUEST_TIMEOUT
                        + "; console:\n" + console.text()));
    }

    /** Waits until the guest's status block shows {@code condition}. */
    static GuestStatus awaitStatus(Machine machine, Predicate<GuestStatus> condition, String what)
            throws InterruptedException {
        long deadline = System.nanoTime() + GUEST_TIMEOUT.toNanos();
        GuestStatus status = machine.guestStatus();
        while (!condition.test(status)) {
            if (System.nanoTime() > deadline || machine.state().isFinal()) {
                throw new AssertionError("guest never got to " + what + ": " + status + ", machine "
                        + machine.state() + " (" + machine.stateReason() + ")");
            }
            Thread.sleep(20);
            status = machine.guestStatus();
        }
        return status;
    }

    /** Has the guest verify everything it wrote to memory and disk, and expects success. */
    static void verifyGuest(Machine machine, MemoryUartSink console) throws InterruptedException {
        int seq = machine.command(GuestCommand.VERIFY);
        String line = awaitLine(console, l -> l.contains("ferry-guest: verify"), "'verify ...'");
        assertTrue(line.contains("verify ok"), line);
        GuestStatus status = awaitStatus(machine, s -> s.commandDone() == seq, "finishing the verify command");
        assertEquals(1, status.lastVerify(), "verify result in the status block");
        assertEquals(0, status.errors(), "guest errors");
    }

    /** Asks the guest to stop and expects an orderly shutdown. */
    static void stopGuest(Machine machine) throws InterruptedException {
        machine.command(GuestCommand.STOP);
        assertEquals(RunState.SHUTDOWN, machine.awaitEnd(GUEST_TIMEOUT), machine.stateReason());
        assertEquals("the guest asked to stop", machine.stateReason());
    }

    /**
     * Counts the guest's blocks in the raw image that check out on their own: magic FERRYBLK,
     * their own index, and the checksum over their payload words (see the guest README).
     */
    static int verifiedBlocksInImage(Path disk) throws IOException {
        int good = 0;
        try (FileChannel file = FileChannel.open(disk, StandardOpenOption.READ); Arena arena = Arena.ofConfined()) {
            MemorySegment block = arena.allocate(BLOCK_SIZE);
            for (int index = 0; index < BLOCKS; index++) {
                file.read(block.asByteBuffer(), (long) index * BLOCK_SIZE);
                if (block.get(ValueLayout.JAVA_LONG, 0) != 0x4B4C425952524546L) { // "FERRYBLK"
                    continue;
                }
                long sum = 0;
                for (int word = 4; word < BLOCK_SIZE / 8; word++) {
                    sum += block.getAtIndex(ValueLayout.JAVA_LONG, word) * (2L * word + 1);
                }
                assertEquals(index, block.get(ValueLayout.JAVA_LONG, 8), "block index inside block " + index);
                assertEquals(block.get(ValueLayout.JAVA_LONG, 24), sum, "checksum of block " + index);
                good++;
            }
        }
        return good;
    }

    /** Copies guest RAM region by region (both machines have the same layout). */
    static void copyMemory(Machine from, Machine to) {
        for (int i = 0; i < from.memory().regions().size(); i++) {
            MemorySegment source = from.memory().regions().get(i).host();
            MemorySegment.copy(source, 0, to.memory().regions().get(i).host(), 0, source.byteSize());
        }
    }

    /** MSRs that count time by themselves: IA32_TSC, MPERF, APERF. */
    private static final Set<Integer> TIME_DRIVEN = Set.of(Msr.IA32_TSC, 0xe7, 0xe8);

    /**
     * Asserts that {@code after} (a machine's state just after a restore or an incoming
     * migration, before it ran) holds {@code before} (the source's at its pause): registers, MSRs
     * (time-driven ones only forward), XSAVE, XCRs, events, MP state, LAPIC, debug registers, the
     * irqchip, the kvmclock (forward), the UART, the ACPI PM registers and the virtio devices.
     */
    static void assertSameState(MachineSnapshot before, MachineSnapshot after) {
        assertEquals(before.cpus().size(), after.cpus().size());
        for (int i = 0; i < before.cpus().size(); i++) {
            CpuSnapshot a = before.cpus().get(i);
            CpuSnapshot b = after.cpus().get(i);
            String cpu = "vCPU " + i + " ";
            assertEquals(a.regs(), b.regs(), cpu + "registers");
            assertEquals(a.sregs(), b.sregs(), cpu + "special registers");
            assertBytes(a.fpu(), b.fpu(), cpu + "FPU");
            assertBytes(a.xsave(), b.xsave(), cpu + "XSAVE");
            assertBytes(a.xcrs(), b.xcrs(), cpu + "XCRs");
            assertBytes(a.lapic(), b.lapic(), cpu + "LAPIC");
            assertBytes(a.vcpuEvents(), b.vcpuEvents(), cpu + "events");
            assertBytes(a.debugRegs(), b.debugRegs(), cpu + "debug registers");
            assertEquals(a.mpState(), b.mpState(), cpu + "MP state");
            assertEquals(a.halted(), b.halted(), cpu + "halted");
            assertEquals(a.msrs().stream().map(Msr::index).toList(), b.msrs().stream().map(Msr::index).toList(), cpu + "MSR list");
            for (int m = 0; m < a.msrs().size(); m++) {
                Msr was = a.msrs().get(m);
                Msr is = b.msrs().get(m);
                if (TIME_DRIVEN.contains(was.index())) {
                    assertTrue(Long.compareUnsigned(is.value(), was.value()) >= 0, cpu + "time went back: " + was + " then " + is);
                } else {
                    assertEquals(was, is, cpu + "MSR");
                }
            }
        }
        assertEquals(before.kvm().irqchips().size(), after.kvm().irqchips().size());
        for (int c = 0; c < before.kvm().irqchips().size(); c++) {
            assertArrayEquals(before.kvm().irqchips().get(c), after.kvm().irqchips().get(c), "irqchip " + c);
        }
        assertEquals(before.kvm().clock().isPresent(), after.kvm().clock().isPresent(), "kvmclock saved on both");
        before.kvm().clock().ifPresent(clock -> assertTrue(
                Long.compareUnsigned(after.kvm().clock().orElseThrow().clock(), clock.clock()) >= 0,
                "kvmclock went back: " + clock + " then " + after.kvm().clock()));
        UartState u = before.uart();
        UartState v = after.uart();
        assertEquals(List.of(u.ier(), u.lcr(), u.mcr(), u.scr(), u.fcr(), u.dll(), u.dlm(), u.thrInterruptPending()),
                List.of(v.ier(), v.lcr(), v.mcr(), v.scr(), v.fcr(), v.dll(), v.dlm(), v.thrInterruptPending()), "UART");
        assertArrayEquals(u.rxFifo(), v.rxFifo(), "UART receive FIFO");
        assertEquals(before.acpiPm(), after.acpiPm(), "ACPI PM registers");
        assertEquals(before.disks(), after.disks(), "virtio devices");
    }

    private static void assertBytes(Optional<byte[]> a, Optional<byte[]> b, String what) {
        assertEquals(a.isPresent(), b.isPresent(), what + " saved on both");
        a.ifPresent(bytes -> assertArrayEquals(bytes, b.orElseThrow(), what));
    }
}
