package dev.ferry.monitor;

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
        boolean usable = problem.isEmpty();
        String need = "needs a usable KVM for --machine kvm: " + problem.orElse("");
        if ("1".equals(System.getenv("FERRY_REQUIRE_KVM"))) {
            Assertions.assertTrue(usable, need + " (FERRY_REQUIRE_KVM=1: a skip is a failure here)");
        }
        Assumptions.assumeTrue(usable, need);
    }
}
