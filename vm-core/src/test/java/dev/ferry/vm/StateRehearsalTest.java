package dev.ferry.vm;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The warm-up before a migration's pause: its scratch VM takes back the vCPU and VM state it gave,
 * through the stream's codec, so every step the real save and load run has run once. (That it
 * leaves a running machine alone is MachineTest's live migration, whose source rehearses first.)
 */
@Tag("kvm")
class StateRehearsalTest {

    @Test
    void theScratchVmRoundTripsItsVcpuAndVmState() {
        KvmHost.assumeKvm();
        assertTrue(StateRehearsal.run(), "the rehearsal stopped short; its debug line says where");
    }
}
