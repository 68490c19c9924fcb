package dev.ferry.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.kvm.bindings.CLayouts;
import dev.ferry.kvm.bindings.KvmPitState2;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * get → set → get of every vCPU and VM state this host reports as supported gives the same
 * state, after the guest has run. Values that move by themselves (the time-driven MSRs, the
 * kvmclock, the PIT's load time) are checked for moving forward only.
 */
@Tag("kvm")
class StateRoundTripTest {

    @BeforeEach
    void needKvm() {
        TestGuest.assumeKvm();
    }

    @Test
    void vcpuStateRoundTripsWithoutIrqchip() {
        try (TestGuest guest = new TestGuest(false, false, false)) {
            LongModeGuestTest.runToHlt(guest);
            assertRoundTrip(guest, guest.kvm.probe().states());
            assertNull(guest.vcpu.saveState().lapic(), "no LAPIC state without the in-kernel irqchip");
        }
    }

    @Test
    void vcpuAndVmStateRoundTripWithIrqchip() {
        try (Kvm kvm = Kvm.open()) {
            HostSupport support = kvm.probe();
            KvmRequirement.need(support.has(Capability.IRQCHIP), "needs KVM_CAP_IRQCHIP");
        }
        try (TestGuest guest = new TestGuest(false, false, true)) {
            Set<StateKind> states = guest.kvm.probe().states();
            if (states.contains(StateKind.PIT2)) {
                guest.vm.createPit2();
            }
            // With the irqchip HLT waits in the kernel: run only to the first exit.
            guest.vcpu.run();
            assertRoundTrip(guest, states);

            VmState before = guest.vm.saveState();
            guest.vm.restoreState(before);
            VmState after = guest.vm.saveState();
            assertEquals(3, after.irqchips().size());
            assertEquals(before.irqchips(), after.irqchips());
            if (states.contains(StateKind.PIT2)) {
                assertEquals(withoutLoadTimes(before.pit()), withoutLoadTimes(after.pit()));
            }
            if (states.contains(StateKind.CLOCK)) {
                assertTrue(Long.compareUnsigned(after.clock().clock(), before.clock().clock()) >= 0,
                        "kvmclock went back: " + before.clock() + " then " + after.clock());
            }
        }
    }

    private static void assertRoundTrip(TestGuest guest, Set<StateKind> states) {
        Vcpu vcpu = guest.vcpu;
        VcpuState before = vcpu.saveState();
        vcpu.restoreState(before);
        VcpuState after = vcpu.saveState();

        assertEquals(before.regs(), after.regs());
        assertEquals(before.sregs(), after.sregs());
        assertEquals(before.fpu(), after.fpu());
        assertEquals(before.xsave(), after.xsave());
        assertEquals(before.xcrs(), after.xcrs());
        assertEquals(before.mpState(), after.mpState());
        assertEquals(before.lapic(), after.lapic());
        assertEquals(before.vcpuEvents(), after.vcpuEvents());
        assertEquals(before.debugRegs(), after.debugRegs());
        assertEquals(untimed(before.msrs()), untimed(after.msrs()));
        assertEquals(vcpu.savedMsrIndices(), after.msrs().stream().map(Msr::index).toList());
        for (int i = 0; i < before.msrs().size(); i++) {
            Msr was = before.msrs().get(i);
            Msr is = after.msrs().get(i);
            assertTrue(!TIME_DRIVEN.contains(was.index()) || Long.compareUnsigned(is.value(), was.value()) >= 0,
                    () -> "time-driven MSR went back: " + was + " then " + is);
        }
        // The guest's CPUID decides which MSRs it owns: no Hyper-V MSR, no PV MSR of a hidden feature.
        assertTrue(MsrPolicy.migratable(guest.kvm.msrIndexList(), vcpu.cpuid()).containsAll(vcpu.savedMsrIndices()));
        assertTrue(vcpu.savedMsrIndices().stream().noneMatch(i -> i >= 0x4000_0000 && i <= 0x4000_01ff),
                "Hyper-V MSRs saved for a guest without Hyper-V CPUID: " + vcpu.savedMsrIndices());

        // Every state the host reports is in the saved record.
        assertTrue(!states.contains(StateKind.XSAVE) || before.xsave() != null, "XSAVE supported but not saved");
        assertTrue(states.contains(StateKind.XSAVE) || before.fpu() != null, "neither XSAVE nor FPU saved");
        assertTrue(!states.contains(StateKind.XCRS) || before.xcrs() != null, "XCRS supported but not saved");
        assertTrue(!states.contains(StateKind.MP_STATE) || before.mpState() != null, "MP_STATE not saved");
        assertTrue(!states.contains(StateKind.VCPU_EVENTS) || before.vcpuEvents() != null, "VCPU_EVENTS not saved");
        assertTrue(!states.contains(StateKind.DEBUGREGS) || before.debugRegs() != null, "DEBUGREGS not saved");
        assertTrue(!guest.vm.hasIrqchip() || before.lapic() != null, "LAPIC not saved with the irqchip");
        assertNotNull(before.sregs());
    }

    /** MSRs that count time by themselves: IA32_TSC, MPERF, APERF, Hyper-V's reference counter. */
    private static final Set<Integer> TIME_DRIVEN = Set.of(Msr.IA32_TSC, 0xe7, 0xe8, 0x4000_0020);

    private static List<Msr> untimed(List<Msr> msrs) {
        return msrs.stream().filter(m -> !TIME_DRIVEN.contains(m.index())).toList();
    }

    @Test
    void aPendingNmiSurvivesARestoreIntoAnotherVcpu() {
        try (TestGuest source = new TestGuest(false, false, false);
                TestGuest destination = new TestGuest(false, false, false)) {
            org.junit.jupiter.api.Assumptions.assumeTrue(source.kvm.has(Capability.VCPU_EVENTS), "needs KVM_CAP_VCPU_EVENTS");
            LongModeGuestTest.runToHlt(source);
            source.vcpu.nmi();
            VcpuState saved = source.vcpu.saveState();
            assertTrue(saved.vcpuEvents().nmiPending(), "KVM_NMI leaves an NMI pending");
            assertTrue(!destination.vcpu.getVcpuEvents().nmiPending());
            destination.vcpu.restoreState(saved);
            assertTrue(destination.vcpu.getVcpuEvents().nmiPending(),
                    "the restore passed nmi.pending with KVM_VCPUEVENT_VALID_NMI_PENDING");
        }
    }

    @Test
    void theGuestTscRateIsKvmsAndCanBeSetWhereKvmScalesIt() {
        try (TestGuest guest = new TestGuest(false, false, false)) {
            long khz = guest.vcpu.tscKhz();
            assertTrue(khz > 100_000 && khz < 10_000_000, "KVM_GET_TSC_KHZ " + khz);
            if (guest.kvm.has(Capability.TSC_CONTROL)) {
                guest.vcpu.setTscKhz(khz);
                assertEquals(khz, guest.vcpu.tscKhz());
            } else {
                IllegalStateException refused = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                        () -> guest.vcpu.setTscKhz(khz / 2));
                assertTrue(refused.getMessage().contains("KVM_CAP_TSC_CONTROL"), refused.getMessage());
            }
        }
    }

    // KVM_SET_PIT2 restarts each channel's count at the current time, so load times differ.
    private static StructBytes withoutLoadTimes(Pit2 pit) {
        byte[] bytes = pit.bytes().toArray();
        MemorySegment segment = MemorySegment.ofArray(bytes);
        long loadTime = CLayouts.offset(KvmPitState2.CHANNEL, "count_load_time");
        for (int channel = 0; channel < 3; channel++) {
            segment.asSlice(channel * KvmPitState2.CHANNEL.byteSize() + loadTime, Long.BYTES).fill((byte) 0);
        }
        return StructBytes.copyOf(bytes);
    }
}
