package dev.ferry.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each way a host can be unfit for KVM gives one line that names what is missing. */
class KvmReadinessTest {

    @TempDir
    Path dir;

    @Test
    void aMissingDeviceSaysThereIsNoKvm() {
        String line = KvmReadiness.problem(dir.resolve("kvm")).orElseThrow();
        assertTrue(line.contains("ENOENT") && line.contains("this host has no KVM"), line);
        assertEquals(1, line.lines().count());
    }

    @Test
    void aDeviceThatIsNotKvmSaysSo() {
        String line = KvmReadiness.problem(Path.of("/dev/null")).orElseThrow();
        assertTrue(line.contains("/dev/null is not a KVM device"), line);
    }

    @Test
    void aPlainFileIsNotAKvmDevice() throws Exception {
        Path file = Files.writeString(dir.resolve("kvm"), "");
        assertTrue(KvmReadiness.problem(file).orElseThrow().contains("is not a KVM device"));
    }

    /** No real KVM here lacks these; the check is the same function whatever the host says. */
    @Test
    void aMissingCapabilityIsNamed() {
        assertEquals(Optional.of("this KVM lacks KVM_CAP_IMMEDIATE_EXIT, which a Ferry machine needs"),
                KvmReadiness.missing(c -> c != Capability.IMMEDIATE_EXIT));
        assertEquals(Optional.empty(), KvmReadiness.missing(c -> true));
    }
}
