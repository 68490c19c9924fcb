package dev.ferry.vm;

import dev.ferry.kvm.KvmImplementation;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Machine tests run on the real KVM of this host, or skip saying why; with
 * {@code FERRY_REQUIRE_KVM=1} (CI's nested KVM stage) they fail instead of skipping.
 */
final class KvmHost {

    private KvmHost() {
    }

    static void assumeKvm() {
        Path kvm = Path.of("/dev/kvm");
        need(Files.isReadable(kvm) && Files.isWritable(kvm), "needs /dev/kvm (read-write): this host has no usable KVM device");
    }

    /** A KVM that boots an unmodified Linux: not PVM, whose emulated ring 0 Linux does not get through. */
    static void assumeLinuxKvm() {
        assumeKvm();
        var problem = KvmImplementation.host().linuxProblem();
        need(problem.isEmpty(), "needs a KVM that boots Linux: " + problem.orElse(""));
    }

    private static void need(boolean present, String need) {
        if ("1".equals(System.getenv("FERRY_REQUIRE_KVM"))) {
            Assertions.assertTrue(present, need + " (FERRY_REQUIRE_KVM=1: a skip is a failure here)");
        }
        Assumptions.assumeTrue(present, need);
    }
}
