package dev.ferry.vm.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class VcpuThrottleTest {

    @Test
    void levelsGrowFromTwentyPercentInTenPointStepsUpTo99() {
        assertEquals(0, VcpuThrottle.percentFor(0));
        assertEquals(20, VcpuThrottle.percentFor(1));
        assertEquals(30, VcpuThrottle.percentFor(2));
        assertEquals(90, VcpuThrottle.percentFor(8));
        assertEquals(99, VcpuThrottle.percentFor(9));
        assertEquals(99, VcpuThrottle.percentFor(50));
    }

    @Test
    void holdsTheGateForItsShareAndStopsAtLevelZero() throws Exception {
        RunGate gate = new RunGate();
        try (VcpuThrottle throttle = new VcpuThrottle(gate)) {
            throttle.setLevel(9);
            assertEquals(99, throttle.percent());
            int held = 0;
            for (int i = 0; i < 300; i++) {
                held += gate.held(RunGate.THROTTLE) ? 1 : 0;
                Thread.sleep(1);
            }
            assertTrue(held > 150, "held in " + held + " of 300 samples at 99%");

            throttle.setLevel(0);
            Thread.sleep(250);
            for (int i = 0; i < 50; i++) {
                assertFalse(gate.held(RunGate.THROTTLE), "no hold at level 0");
                Thread.sleep(2);
            }
        }
    }
}
