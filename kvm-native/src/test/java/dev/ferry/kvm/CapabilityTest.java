package dev.ferry.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The one-line failure for a capability Ferry needs and the host lacks (KVM itself is not needed). */
class CapabilityTest {

    @Test
    void aMissingCapabilityFailsWithOneLineNamingIt() {
        IllegalStateException missing = assertThrows(IllegalStateException.class,
                () -> Capability.require(Capability.IMMEDIATE_EXIT, 0, "to stop vCPUs reliably"));
        assertEquals("this host's KVM lacks KVM_CAP_IMMEDIATE_EXIT, which Ferry needs to stop vCPUs reliably",
                missing.getMessage());
        Capability.require(Capability.IMMEDIATE_EXIT, 1, "to stop vCPUs reliably");
    }
}
