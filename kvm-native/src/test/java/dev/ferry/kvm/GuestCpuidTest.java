package dev.ferry.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Each vCPU's CPUID carries its own APIC id, whatever host CPU answered KVM_GET_SUPPORTED_CPUID;
 * TSC-deadline mode is offered exactly when KVM emulates it in an in-kernel LAPIC.
 */
class GuestCpuidTest {

    private static final int TSC_DEADLINE = 1 << 24;

    @Test
    void tscDeadlineIsOfferedOnlyWithTheInKernelLapicThatEmulatesIt() {
        List<CpuidEntry> supported = List.of(new CpuidEntry(1, 0, 0, 0x60fb1, 0x0800, 0x7, 0x8),
                new CpuidEntry(7, 0, 1, 0, 0, 0, 0));
        assertEquals(0x7 | TSC_DEADLINE, leaf1Ecx(GuestCpuid.forVm(supported, true, true)));
        assertEquals(0x7, leaf1Ecx(GuestCpuid.forVm(supported, true, false)));
        assertEquals(0x7, leaf1Ecx(GuestCpuid.forVm(supported, false, true)));
        assertEquals(supported.get(1), GuestCpuid.forVm(supported, true, true).get(1));
    }

    private static int leaf1Ecx(List<CpuidEntry> cpuid) {
        return cpuid.stream().filter(e -> e.function() == 1).findFirst().orElseThrow().ecx();
    }

    @Test
    void everyApicIdFieldIsTheVcpusOwn() {
        List<CpuidEntry> fromHostCpu3 = List.of(new CpuidEntry(1, 0, 0, 0x60fb1, 0x0302_0800, 0x7, 0x8),
                new CpuidEntry(0xb, 1, 1, 4, 2, 0x201, 3), new CpuidEntry(0x8000_001e, 0, 0, 3, 0x100, 0, 0),
                new CpuidEntry(0xd, 0, 1, 7, 0x340, 0x340, 0));
        List<CpuidEntry> vcpu1 = GuestCpuid.forVcpu(fromHostCpu3, 1);
        assertEquals(List.of(new CpuidEntry(1, 0, 0, 0x60fb1, 0x0102_0800, 0x7, 0x8),
                new CpuidEntry(0xb, 1, 1, 4, 2, 0x201, 1), new CpuidEntry(0x8000_001e, 0, 0, 1, 0x100, 0, 0),
                new CpuidEntry(0xd, 0, 1, 7, 0x340, 0x340, 0)), vcpu1);
        List<CpuidEntry> fromHostCpu0 = GuestCpuid.forVcpu(fromHostCpu3, 0);
        assertEquals(GuestCpuid.forVcpu(fromHostCpu0, 1), vcpu1);
    }
}
