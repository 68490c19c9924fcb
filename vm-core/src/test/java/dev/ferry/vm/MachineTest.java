package dev.ferry.vm;

import static dev.ferry.vm.TestMachines.awaitLine;
import static dev.ferry.vm.TestMachines.awaitStatus;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.vm.device.serial.MemoryUartSink;
import dev.ferry.vm.guest.GuestStatus;
import dev.ferry.vm.state.MachineSnapshot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The built-in guest on this host's KVM: boot, lifecycle, and save/restore into a fresh machine. */
class MachineTest {

    @TempDir
    Path dir;

    @BeforeEach
    void needKvm() {
        KvmHost.assumeKvm();
    }

    @Test
    void guestBootsWritesAndVerifiesItsDiskAndReportsOverTheUart() throws Exception {
        Path disk = TestMachines.newDisk(dir, "disk.raw");
        MemoryUartSink console = new MemoryUartSink();
        try (Machine machine = Machine.boot(TestMachines.spec(disk), console)) {
            assertEquals(RunState.CREATED, machine.state());
            machine.start();
            awaitLine(console, l -> l.startsWith("ferry-guest: disk id=disk0"), "'disk id=disk0'");
            awaitLine(console, l -> l.startsWith("ferry-guest: ready"), "'ready'");
            GuestStatus status = awaitStatus(machine, s -> s.blocksWritten() >= 32 && s.blocksVerified() > 0
                    && s.pagesWritten() > 0, "disk and memory work");
            assertEquals(GuestStatus.State.RUNNING, status.state());

            TestMachines.verifyGuest(machine, console);
            TestMachines.stopGuest(machine);
        }
        assertTrue(TestMachines.verifiedBlocksInImage(disk) >= 32, "the guest's blocks are in the image file");
    }

    @Test
    void pauseStopsTheGuestAndResumeLetsItRunOn() throws Exception {
        Path disk = TestMachines.newDisk(dir, "disk.raw");
        List<String> transitions = new CopyOnWriteArrayList<>();
        try (Machine machine = Machine.boot(TestMachines.spec(disk), new MemoryUartSink())) {
            machine.addListener((m, from, to, why) -> transitions.add(from + "->" + to));
            machine.start();
            awaitStatus(machine, s -> s.iterations() > 0, "running its workload");

            machine.pause();
            assertEquals(RunState.PAUSED, machine.state());
            long frozen = machine.guestStatus().iterations();
            Thread.sleep(300);
            assertEquals(frozen, machine.guestStatus().iterations(), "a paused guest makes no progress");
            assertThrows(IllegalStateException.class, () -> machine.restore(machine.snapshot()));

            machine.resume();
            awaitStatus(machine, s -> s.iterations() > frozen, "running again after resume");
            machine.shutdown();
            assertEquals(RunState.SHUTDOWN, machine.state());
            assertEquals("shut down by the VMM", machine.stateReason());
        }
        assertEquals(List.of("CREATED->RUNNING", "RUNNING->PAUSED", "PAUSED->RUNNING", "RUNNING->SHUTDOWN"), transitions);
    }

    @Test
    void snapshotAtAPauseRestoredIntoAFreshMachineCarriesOnAndVerifies() throws Exception {
        Path disk = TestMachines.newDisk(dir, "disk.raw");
        Path copy = dir.resolve("copy.raw");
        MemoryUartSink restoredConsole = new MemoryUartSink();
        MachineSpec spec = TestMachines.spec(disk);
        long iterationsAtPause;
        try (Machine source = Machine.boot(spec, new MemoryUartSink())) {
            source.start();
            awaitStatus(source, s -> s.blocksWritten() >= 16 && s.pagesWritten() >= 64, "disk and memory work");
            source.pause();
            MachineSnapshot snapshot = source.snapshot();
            iterationsAtPause = source.guestStatus().iterations();
            Files.copy(disk, copy);

            Machine restored = Machine.incoming(spec.withDisks(List.of(DiskSpec.of(copy))), restoredConsole);
            try (restored) {
                TestMachines.copyMemory(source, restored);
                source.shutdown();
                restored.restore(snapshot);
                assertEquals(iterationsAtPause, restored.guestStatus().iterations(), "memory copied as it was");
                restored.start();
                awaitStatus(restored, s -> s.iterations() > iterationsAtPause + 10, "carrying on after the restore");
                TestMachines.verifyGuest(restored, restoredConsole);
                TestMachines.stopGuest(restored);
            }
        }
        assertFalse(restoredConsole.text().contains("ferry-guest: ring 3 up"), "the restored guest did not boot again");
        assertTrue(TestMachines.verifiedBlocksInImage(copy) >= 16);
    }
}
