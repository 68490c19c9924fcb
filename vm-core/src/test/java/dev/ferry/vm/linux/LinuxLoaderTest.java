package dev.ferry.vm.linux;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ferry.vm.memory.GuestRam;
import dev.ferry.vm.memory.RamLayout;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** What the loader leaves in guest RAM for the kernel, read back as the kernel reads it. */
class LinuxLoaderTest {

    @Test
    void bootParamsCommandLineInitrdAndKernelAreWhereTheyPoint() throws IOException, InterruptedException {
        TestLinuxGuest guest = TestLinuxGuest.require();
        long size = 256L << 20;
        LinuxImage image = LinuxImage.read(new LinuxBoot(guest.kernel(), Optional.of(guest.initrd()), "console=ttyS0 quiet"), size);
        try (GuestRam ram = GuestRam.allocate(RamLayout.of(size), false)) {
            LinuxEntry entry = LinuxLoader.load(ram, image, 2, List.of());
            MemorySegment zero = ram.slice(entry.bootParams(), BootParams.SIZE);
            assertEquals(0x5372_6448, zero.get(JAVA_INT_UNALIGNED, 0x202), "the kernel's own header, HdrS");
            assertEquals(0xff, Byte.toUnsignedInt(zero.get(JAVA_BYTE, 0x210)), "type_of_loader");
            long cmdline = Integer.toUnsignedLong(zero.get(JAVA_INT_UNALIGNED, 0x228));
            assertEquals("console=ttyS0 quiet\0", new String(ram.slice(cmdline, 20).toArray(JAVA_BYTE), StandardCharsets.US_ASCII));
            assertEquals(image.initrdAddress(), Integer.toUnsignedLong(zero.get(JAVA_INT_UNALIGNED, 0x218)));
            assertEquals(image.initrd().length, zero.get(JAVA_INT_UNALIGNED, 0x21c));
            assertArrayEquals(image.initrd(), ram.slice(image.initrdAddress(), image.initrd().length).toArray(JAVA_BYTE));
            byte[] kernel = image.kernel();
            long offset = image.header().kernelOffset();
            assertArrayEquals(java.util.Arrays.copyOfRange(kernel, (int) offset, (int) offset + 4096),
                    ram.slice(LinuxImage.LOAD_ADDRESS, 4096).toArray(JAVA_BYTE), "protected-mode kernel at 1 MiB");
            assertEquals(LinuxImage.LOAD_ADDRESS + 0x200, entry.rip());

            int entries = zero.get(JAVA_BYTE, 0x1e8);
            assertEquals(List.of("0-9fc00:1", "e0000-100000:2", "100000-10000000:1"), e820(zero, entries));
            assertEquals(0x00af_9b00_0000_ffffL, ram.slice(entry.gdt().base() + LinuxEntry.BOOT_CS, 8).get(JAVA_LONG_UNALIGNED, 0));
            assertEquals(0x00cf_9300_0000_ffffL, ram.slice(entry.gdt().base() + LinuxEntry.BOOT_DS, 8).get(JAVA_LONG_UNALIGNED, 0));
        }
    }

    @Test
    void highRamGetsItsOwnE820Entry() {
        List<BootParams.E820> map = LinuxLoader.e820(RamLayout.of(RamLayout.HOLE_START + (1L << 30)));
        assertEquals(new BootParams.E820(0x10_0000, RamLayout.HOLE_START - 0x10_0000, 1), map.get(2));
        assertEquals(new BootParams.E820(RamLayout.HIGH_START, 1L << 30, 1), map.get(3));
    }

    @Test
    void mpTableChecksumsAndListsEachCpuTheIoapicAndItsPins() {
        long at = 0xf_0000;
        byte[] table = MpTable.build(at, 3);
        assertEquals("_MP_", new String(table, 0, 4, StandardCharsets.US_ASCII));
        assertEquals(0, sum(table, 0, 16), "floating pointer checksum");
        MemorySegment t = MemorySegment.ofArray(table);
        assertEquals(at + 16, Integer.toUnsignedLong(t.get(JAVA_INT_UNALIGNED, 4)), "config table address");
        assertEquals("PCMP", new String(table, 16, 4, StandardCharsets.US_ASCII));
        int length = Short.toUnsignedInt(t.get(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, 16 + 4));
        assertEquals(table.length - 16, length);
        assertEquals(0, sum(table, 16, table.length), "config table checksum");
        assertEquals(3 + 1 + 1 + MpTable.IOAPIC_PINS + 2,
                Short.toUnsignedInt(t.get(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, 16 + 34)), "entry count");
        int cpus = 16 + 44;
        assertEquals(3, table[cpus + 3], "the first CPU is enabled and boots");
        assertEquals(1, table[cpus + 20 + 3], "the others are enabled");
        assertEquals(3, table[cpus + 20 * 3 + 8 + 1] & 0xff, "IOAPIC id after the CPUs' APIC ids 0-2");
    }

    private static List<String> e820(MemorySegment zero, int entries) {
        return java.util.stream.IntStream.range(0, entries).mapToObj(i -> {
            long at = 0x2d0 + 20L * i;
            long base = zero.get(JAVA_LONG_UNALIGNED, at);
            return Long.toHexString(base) + "-" + Long.toHexString(base + zero.get(JAVA_LONG_UNALIGNED, at + 8)) + ":"
                    + zero.get(JAVA_INT_UNALIGNED, at + 16);
        }).toList();
    }

    private static int sum(byte[] b, int from, int to) {
        int s = 0;
        for (int i = from; i < to; i++) {
            s += b[i];
        }
        return s & 0xff;
    }
}
