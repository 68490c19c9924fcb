package dev.ferry.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code ferry demo --kernel}: the demo's live migration with storage copy of the Linux test guest
 * instead of the built-in one, judged by the guest itself (it reads back and verifies every record
 * it wrote, after the move); on a host without KVM, one line saying so and nothing started.
 */
class LinuxDemoIT {

    @Test
    void withoutKvmTheLinuxDemoSaysSoInOneLineAndStartsNothing() throws Exception {
        Assumptions.assumeTrue(MachineChoice.kvmProblem().isPresent(), "needs a host without a usable KVM");
        LinuxTestGuest guest = LinuxTestGuest.require();
        List<Path> before = DemoIT.demoFolders();
        FerryImage.Result result = FerryImage.run(60, "demo", "--kernel", guest.kernel().toString(),
                "--initrd", guest.initrd().toString());
        List<String> lines = result.stderr().lines().toList();
        assertNotEquals(0, result.exitCode(), result.stdout());
        assertEquals(1, lines.size(), lines.toString());
        assertTrue(lines.getFirst().startsWith("ferry: --kernel needs KVM, which is not usable here: "), lines.getFirst());
        assertEquals("", result.stdout());
        assertEquals(before, DemoIT.demoFolders(), "the refused demo made a folder");
    }

    /**
     * In the nested VM (one vCPU; the PIT ticks, see LinuxMigrationIT): each storage mode once
     * (2026-12-05 at load 1-3: full 217 s, inc 181 s).
     */
    @ParameterizedTest(name = "kvm: a Linux guest, {0}")
    @ValueSource(strings = {"full", "inc"})
    @Tag("linux-boot")
    void theDemoMovesALinuxGuestThatThenVerifiesItsRecords(String mode) throws Exception {
        KvmHost.assumeLinuxKvm();
        LinuxTestGuest guest = LinuxTestGuest.require();
        FerryImage.Result result = FerryImage.run(900, "demo", "--kernel", guest.kernel().toString(),
                "--initrd", guest.initrd().toString(), "--append", LinuxMigrationIT.NESTED_CMDLINE, "--mode", mode,
                "--disk-size", "16M", "--inc-data", "1M");
        String out = result.stdout();
        assertEquals(0, result.exitCode(), out + result.stderr());
        assertTrue(out.contains("ferry demo: migration completed"), out);
        assertTrue(out.contains("verified       yes"), out);
        assertTrue(out.matches("(?s).*guest {10}kept running on the destination and passed its own checks \\(verify ok: after the"
                + " move the guest read back and verified all [1-9][0-9]+ records it wrote\\).*"), out);
    }
}
