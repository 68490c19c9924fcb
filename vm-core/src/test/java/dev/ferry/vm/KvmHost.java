package dev.ferry.vm;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/** Machine tests run on the real KVM of this host, or skip saying why. */
final class KvmHost {

    private KvmHost() {
    }

    static void assumeKvm() {
        Path kvm = Path.of("/dev/kvm");
        Assumptions.assumeTrue(Files.isReadable(kvm) && Files.isWritable(kvm),
                "needs /dev/kvm (read-write): this host has no usable KVM device");
    }
}
