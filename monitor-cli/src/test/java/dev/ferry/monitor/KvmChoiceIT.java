package dev.ferry.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.kvm.KvmImplementation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A host unfit for KVM, met by the real {@code ferry} command: {@code --machine kvm} fails with one
 * line naming what is missing, {@code --machine auto} says it and falls back to none. The host
 * without /dev/kvm is this one natively; permission denied is a user other than root in the
 * nested KVM stage, where /dev/kvm belongs to root with mode 0600.
 */
class KvmChoiceIT {

    private static final Path DEVICE = Path.of("/dev/kvm");
    /** nobody:nogroup with no supplementary groups. */
    private static final List<String> AS_NOBODY = List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--");
    private static final String[] RUN_KVM = {"run", "--machine", "kvm", "-m", "16M", "--serial", "none", "--monitor", "none"};
    private static final String[] RUN_AUTO = {"run", "--machine", "auto", "-m", "16M", "--serial", "none"};

    @Test
    void withoutDevKvmAnExplicitKvmFailsInOneLineAndAutoFallsBack() throws Exception {
        Assumptions.assumeFalse(Files.exists(DEVICE), "needs a host without /dev/kvm (this one has it)");
        FerryImage.Result kvm = FerryImage.run(120, RUN_KVM);
        assertNotEquals(0, kvm.exitCode());
        assertOneLine(kvm.stderr(), "--machine kvm: KVM is not usable: open(/dev/kvm) failed: ENOENT");

        FerryImage.Result auto = FerryImage.run(120, RUN_AUTO);
        assertTrue(auto.stderr().contains("KVM is not usable (open(/dev/kvm) failed: ENOENT"), auto.stderr());
        assertTrue(auto.stderr().contains("using --machine none"), auto.stderr());
    }

    @Test
    @Tag("kvm")
    void aUserWithoutAccessToDevKvmIsToldSoAndAutoFallsBack() throws Exception {
        KvmHost.assumeKvm();
        Set<PosixFilePermission> mode = Files.getPosixFilePermissions(DEVICE);
        Assumptions.assumeFalse(mode.contains(PosixFilePermission.OTHERS_READ) && mode.contains(PosixFilePermission.OTHERS_WRITE),
                "needs a /dev/kvm that others may not open (this one is " + mode + ")");
        FerryImage.Result kvm = FerryImage.runAs(AS_NOBODY, 300, RUN_KVM);
        assertNotEquals(0, kvm.exitCode());
        assertOneLine(kvm.stderr(), "--machine kvm: KVM is not usable: open(/dev/kvm) failed: EACCES");
        assertTrue(kvm.stderr().contains("no permission"), kvm.stderr());

        FerryImage.Result auto = FerryImage.runAs(AS_NOBODY, 300, RUN_AUTO);
        assertTrue(auto.stderr().contains("KVM is not usable (open(/dev/kvm) failed: EACCES"), auto.stderr());
        assertTrue(auto.stderr().contains("using --machine none"), auto.stderr());
    }

    @Test
    void onPvmALinuxKernelIsRefusedInOneLineBeforeAnyVmRuns() throws Exception {
        Assumptions.assumeTrue(KvmImplementation.host() == KvmImplementation.PVM,
                "needs a host whose KVM is PVM (kvm_pvm); this one's is " + KvmImplementation.host());
        KvmHost.assumeKvm();
        LinuxTestGuest guest = LinuxTestGuest.require();
        FerryImage.Result run = FerryImage.run(120, "run", "--machine", "kvm", "-m", "256M", "--serial", "none",
                "--monitor", "none", "--kernel", guest.kernel().toString(), "--initrd", guest.initrd().toString());
        assertNotEquals(0, run.exitCode());
        assertOneLine(run.stderr(), "--kernel needs KVM, which is not usable here: this host's KVM is PVM (kvm_pvm)");
        FerryImage.Result demo = FerryImage.run(120, "demo", "--kernel", guest.kernel().toString());
        assertNotEquals(0, demo.exitCode());
        assertOneLine(demo.stderr(), "--kernel needs KVM, which is not usable here: this host's KVM is PVM (kvm_pvm)");
        assertEquals("", demo.stdout(), "the demo started nothing");
    }

    private static void assertOneLine(String stderr, String mentions) {
        List<String> lines = stderr.strip().lines().toList();
        assertEquals(1, lines.size(), stderr);
        assertTrue(lines.getFirst().contains(mentions), stderr);
    }
}
