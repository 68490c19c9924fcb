package dev.ferry.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.kvm.bindings.KvmRegs;
import dev.ferry.kvm.bindings.KvmSregs;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The typed state records survive a trip through their kvm structs field for field. */
class StateCodecTest {

    @Test
    void regsAndSregsRoundTripThroughTheirStructs() {
        try (Arena arena = Arena.ofConfined()) {
            Regs regs = new Regs(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 0x4000, 0x202);
            MemorySegment r = arena.allocate(KvmRegs.LAYOUT);
            regs.write(r);
            assertEquals(regs, Regs.read(r));
            assertEquals(0x4000, r.get(java.lang.foreign.ValueLayout.JAVA_LONG,
                    dev.ferry.kvm.bindings.CLayouts.offset(KvmRegs.LAYOUT, "rip")));

            Segment odd = new Segment(0xffff_8000_0000_0000L, 0xfffff, 0x2b, 0x9, true, 3, false, false, true, false,
                    true, true);
            Sregs sregs = new Sregs(Segment.code64(8, 0), Segment.data(0x10, 0), odd, Segment.data(0x10, 3),
                    Segment.data(0x18, 0), Segment.data(0x10, 0), odd, Segment.data(0, 0), new DTable(0x1000, 0x7f),
                    new DTable(0x2000, 0xfff), 0x8005_0033L, 0x42, 0x1000, 0x20, 0, 0x500, 0xfee0_0900L,
                    List.of(0L, 1L << 3, 0L, -1L));
            MemorySegment s = arena.allocate(KvmSregs.LAYOUT);
            sregs.write(s);
            assertEquals(sregs, Sregs.read(s));
        }
    }

    @Test
    void longModeSetsPagingAndFlatCode() {
        Segment zero = new Segment(0, 0xffff, 0, 3, true, 0, false, true, false, false, false, false);
        Sregs reset = new Sregs(zero, zero, zero, zero, zero, zero, zero, zero, new DTable(0, 0xffff),
                new DTable(0, 0xffff), 0x6000_0010L, 0, 0, 0, 0, 0, 0xfee0_0900L, List.of(0L, 0L, 0L, 0L));
        Sregs longMode = reset.withLongMode(0x1000);
        assertEquals(0x8001_0031L, longMode.cr0());
        assertEquals(0x1000, longMode.cr3());
        assertEquals(Sregs.CR4_PAE, longMode.cr4());
        assertEquals(Sregs.EFER_LME | Sregs.EFER_LMA, longMode.efer());
        assertTrue(longMode.cs().l() && !longMode.cs().db() && longMode.cs().dpl() == 0);
        assertEquals(reset.tr(), longMode.tr());
    }
}
