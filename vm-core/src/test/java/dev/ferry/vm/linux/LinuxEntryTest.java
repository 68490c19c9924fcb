package dev.ferry.vm.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ferry.kvm.CpuidEntry;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The XCR0 a Linux boot starts with: what CPUID offers, and nothing without XSAVE. */
class LinuxEntryTest {

    private static final CpuidEntry XSAVE_LEAF = new CpuidEntry(0xd, 0, 1, 0x207, 0x240, 0xa88, 0x1);
    private static final CpuidEntry OTHER_SUBLEAF = new CpuidEntry(0xd, 2, 1, 0x100, 0x240, 0, 0);

    @Test
    void xcr0IsEveryFeatureLeafDOffers() {
        List<CpuidEntry> cpuid = List.of(new CpuidEntry(1, 0, 0, 0, 0, 1 << 26, 0), OTHER_SUBLEAF, XSAVE_LEAF);
        assertEquals(0x1_0000_0207L, LinuxEntry.supportedXcr0(cpuid));
    }

    @Test
    void withoutXsaveXcr0IsLeftAlone() {
        assertEquals(0, LinuxEntry.supportedXcr0(List.of(new CpuidEntry(1, 0, 0, 0, 0, 0, 0), XSAVE_LEAF)));
    }
}
