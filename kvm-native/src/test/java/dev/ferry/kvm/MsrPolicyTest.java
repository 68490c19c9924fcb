package dev.ferry.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Which listed MSRs a guest owns, decided by its CPUID (no KVM needed: CPUID leaves written here). */
class MsrPolicyTest {

    private static final int KVM_SIGNATURE = 0x4000_0000;
    private static final List<Integer> LISTED = List.of(0x10, 0x11, 0x12, 0x4b56_4d00, 0x4b56_4d01, 0x4b56_4d02,
            0x4b56_4d06, 0x4b56_4d07, 0x4000_0000, 0x4000_0020, 0x4000_0010, 0xc000_0080);

    private static List<CpuidEntry> kvmLeaves(int features) {
        return List.of(new CpuidEntry(KVM_SIGNATURE, 0, 0, 0x4000_0001, 0x4b4d_564b, 0x564b_4d56, 0x4d),
                new CpuidEntry(KVM_SIGNATURE + 1, 0, 0, features, 0, 0, 0));
    }

    @Test
    void pvMsrsOnlyWithTheirFeatureBitsAndHyperVMsrsNeverWithoutHyperV() {
        int clocks = KvmPvFeature.CLOCKSOURCE.mask() | KvmPvFeature.CLOCKSOURCE2.mask();
        assertEquals(List.of(0x10, 0x11, 0x12, 0x4b56_4d00, 0x4b56_4d01, 0xc000_0080),
                MsrPolicy.migratable(LISTED, kvmLeaves(clocks)));
        assertEquals(List.of(0x10, 0x4b56_4d06, 0x4b56_4d07, 0xc000_0080),
                MsrPolicy.migratable(LISTED, kvmLeaves(KvmPvFeature.ASYNC_PF_INT.mask())));
    }

    @Test
    void aGuestWithoutKvmLeavesOwnsNoPvMsr() {
        assertEquals(List.of(0x10, 0xc000_0080), MsrPolicy.migratable(LISTED, List.of()));
    }

    @Test
    void hyperVMsrsComeWithTheHyperVSignature() {
        List<CpuidEntry> hyperV = List.of(new CpuidEntry(KVM_SIGNATURE, 0, 0, 0x4000_0005, 0x7263_694d, 0x666f_736f,
                0x7648_2074));
        assertEquals(List.of(0x10, 0x4000_0000, 0x4000_0020, 0x4000_0010, 0xc000_0080), MsrPolicy.migratable(LISTED, hyperV));
    }

    @Test
    void withoutAnInKernelLapicTheFeaturesThatNeedItAreHidden() {
        int all = 0;
        for (KvmPvFeature feature : KvmPvFeature.values()) {
            all |= feature.mask();
        }
        List<CpuidEntry> supported = kvmLeaves(all);
        assertEquals(all, GuestCpuid.kvmFeatures(GuestCpuid.forVm(supported, true, false)));
        int userspaceLapic = GuestCpuid.kvmFeatures(GuestCpuid.forVm(supported, false, false));
        for (KvmPvFeature feature : KvmPvFeature.values()) {
            assertEquals(!feature.needsLapic(), (userspaceLapic & feature.mask()) != 0, feature.name());
        }
        assertEquals(List.of(0x10, 0x11, 0x12, 0x4b56_4d00, 0x4b56_4d01, 0xc000_0080),
                MsrPolicy.migratable(LISTED, GuestCpuid.forVm(supported, false, false)));
    }
}
