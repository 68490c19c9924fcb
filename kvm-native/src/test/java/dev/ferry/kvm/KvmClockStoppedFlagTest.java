package dev.ferry.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.ValueLayout;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * KVM_KVMCLOCK_CTRL reaches the guest: once the guest has enabled kvmclock on a vCPU, the call
 * makes KVM set the "stopped by the host" flag in that vCPU's time page before its next entry (what
 * a Linux guest's watchdogs read to forgive a stop); without kvmclock there is nothing to tell.
 */
@Tag("kvm")
class KvmClockStoppedFlagTest {

    /** MSR_KVM_SYSTEM_TIME_NEW: the guest address of its pvclock page, bit 0 enabling it. */
    private static final int MSR_KVM_SYSTEM_TIME_NEW = 0x4b564d01;
    private static final long TIME_PAGE = 0x20000;
    /** pvclock_vcpu_time_info: version u32, pad u32, tsc_timestamp u64, system_time u64, mul u32, shift s8, flags u8. */
    private static final long FLAGS = 29;
    private static final int GUEST_STOPPED = 1 << 1;

    @Test
    void theFlagIsSetOnlyForAGuestWithKvmclock() {
        TestGuest.assumeKvm();
        try (TestGuest guest = new TestGuest(false, false, false)) {
            KvmRequirement.need(guest.kvm.has(Capability.KVMCLOCK_CTRL), "needs KVM_CAP_KVMCLOCK_CTRL");
            assertFalse(guest.vcpu.tellGuestItWasStopped(), "a guest without kvmclock was told it was stopped");

            guest.vcpu.setMsrs(List.of(new Msr(MSR_KVM_SYSTEM_TIME_NEW, TIME_PAGE | 1)));
            runToHalt(guest);
            assertNotEquals(0, guest.ram.segment().get(ValueLayout.JAVA_INT, TIME_PAGE), "KVM never wrote the time page");
            assertEquals(0, flags(guest) & GUEST_STOPPED, "stopped flag set before any stop");

            assertTrue(guest.vcpu.tellGuestItWasStopped());
            runToHalt(guest);
            assertEquals(GUEST_STOPPED, flags(guest) & GUEST_STOPPED, "the time page lacks the stopped flag");
        }
    }

    private static void runToHalt(TestGuest guest) {
        guest.jump(TestGuest.HALT_LOOP);
        assertInstanceOf(VcpuExit.Hlt.class, guest.vcpu.run());
    }

    private static int flags(TestGuest guest) {
        return guest.ram.segment().get(ValueLayout.JAVA_BYTE, TIME_PAGE + FLAGS);
    }
}
