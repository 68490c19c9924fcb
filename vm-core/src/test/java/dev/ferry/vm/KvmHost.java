package dev.ferry.vm;

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
        boolean usable = Files.isReadable(kvm) && Files.isWritable(kvm);
        String need = "needs /dev/kvm (read-write): this host has no usable KVM device";
        if ("1".equals(System.getenv("FERRY_REQUIRE_KVM"))) {
            Assertions.assertTrue(usable, need + " (FERRY_REQUIRE_KVM=1: a skip is a failure here)");
        }
        Assumptions.assumeTrue(usable, need);
    }
}
