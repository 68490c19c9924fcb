package dev.ferry.kvm;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What a KVM test needs from this host. When it is missing the test skips and names it; with
 * {@code FERRY_REQUIRE_KVM=1} (CI's nested KVM stage, where everything must run) it fails instead,
 * so no KVM test passes there by skipping.
 */
final class KvmRequirement {

    private static final boolean REQUIRED = "1".equals(System.getenv("FERRY_REQUIRE_KVM"));

    private KvmRequirement() {
    }

    static void need(boolean present, String what) {
        if (REQUIRED) {
            assertTrue(present, what + " (FERRY_REQUIRE_KVM=1: a skip is a failure here)");
        }
        assumeTrue(present, what);
    }
}
