package dev.ferry.monitor;

import dev.ferry.kvm.KvmImplementation;
import java.util.Optional;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * ITs of {@code --machine kvm} run where KVM is usable, or skip naming what is missing; with
 * {@code FERRY_REQUIRE_KVM=1} (CI's nested KVM stage) they fail instead of skipping.
 */
final class KvmHost {

    private KvmHost() {
    }

    static void assumeKvm() {
        Optional<String> problem = MachineChoice.kvmProblem();
        need(problem.isEmpty(), "needs a usable KVM for --machine kvm: " + problem.orElse(""));
    }

    /** A KVM that boots an unmodified Linux: not PVM, whose emulated ring 0 Linux does not get through. */
    static void assumeLinuxKvm() {
        assumeKvm();
        Optional<String> problem = KvmImplementation.host().linuxProblem();
        need(problem.isEmpty(), "needs a KVM that boots Linux: " + problem.orElse(""));
    }

    private static void need(boolean present, String need) {
        if ("1".equals(System.getenv("FERRY_REQUIRE_KVM"))) {
            Assertions.assertTrue(present, need + " (FERRY_REQUIRE_KVM=1: a skip is a failure here)");
        }
        Assumptions.assumeTrue(present, need);
    }
}
