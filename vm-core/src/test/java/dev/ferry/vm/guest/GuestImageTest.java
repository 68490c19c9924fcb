package dev.ferry.vm.guest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.vm.device.ArenaGuestMemory;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class GuestImageTest {

    private final GuestImage image = GuestImage.builtIn();

    private long pageTableEntry(long table, int index) {
        int at = (int) (table - image.loadAddress()) + index * 8;
        return ByteBuffer.wrap(image.bytes()).order(ByteOrder.LITTLE_ENDIAN).getLong(at);
    }

    @Test
    void builtInImageHeaderIsConsistent() {
        assertEquals(0x100000, image.loadAddress());
        assertEquals(0x1_0000_0000L, image.mappedLimit());
        assertTrue(image.entry() > image.loadAddress() && image.entry() < image.loadAddress() + image.bytes().length);
        assertTrue(image.configAddress() < image.statusAddress() && image.statusAddress() < image.imageEnd());
        assertEquals(0, image.stackPointer() % 16);
    }

    @Test
    void pageTablesIdentityMapFourGibWithUserPages() {
        long pml4e = pageTableEntry(image.cr3(), 0);
        assertEquals(0x7, pml4e & 0x7, "present, writable, user");
        long pdpt = pml4e & ~0xfffL;
        for (int g = 0; g < 4; g++) {
            long pdpte = pageTableEntry(pdpt, g);
            assertEquals(0x7, pdpte & 0x7);
            long pd = pdpte & ~0xfffL;
            for (int i = 0; i < 512; i += 73) {
                long pde = pageTableEntry(pd, i);
                assertEquals(0x87, pde & 0x87, "2 MiB user page");
                assertEquals(((long) g << 30) | ((long) i << 21), pde & ~0x1fffffL);
            }
        }
        assertEquals(0, pageTableEntry(pdpt, 4), "nothing mapped above 4 GiB");
    }

    @Test
    void tamperedHeadersAreRejectedNamingTheField() {
        byte[] bad = image.bytes();
        bad[0] = 'X';
        assertEquals("test: magic is not FERRYGST",
                assertThrows(IllegalArgumentException.class, () -> GuestImage.parse(bad, "test")).getMessage());
        byte[] version = image.bytes();
        version[8] = 9;
        assertTrue(assertThrows(IllegalArgumentException.class, () -> GuestImage.parse(version, "test"))
                .getMessage().contains("header version 9"));
        byte[] entry = image.bytes();
        ByteBuffer.wrap(entry).order(ByteOrder.LITTLE_ENDIAN).putLong(0x18, 0x10);
        assertEquals("test: header field 'entry' points outside the image",
                assertThrows(IllegalArgumentException.class, () -> GuestImage.parse(entry, "test")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> GuestImage.parse(new byte[10], "short"));
    }

    @Test
    void loadsAndWritesTheConfigBlock() {
        try (ArenaGuestMemory mem = new ArenaGuestMemory(64 << 20)) {
            mem.slice(image.imageEnd() - 4096, 4096).fill((byte) 0x33);
            image.loadInto(mem);
            assertArrayEquals(image.bytes(), mem.slice(image.loadAddress(), image.bytes().length).toArray(ValueLayout.JAVA_BYTE));
            assertEquals(0, mem.slice(image.imageEnd() - 8, 8).get(ValueLayout.JAVA_LONG_UNALIGNED, 0), "stacks zeroed");

            GuestConfig config = GuestConfig.forRam(image, 64 << 20, 2_000_000, 10 << 20).withDisk(0xd0000000L, 1 << 20, 0);
            config.writeTo(mem, image);
            MemorySegment c = mem.slice(image.configAddress(), 0x68);
            assertEquals("FERRYCFG", new String(c.asSlice(0, 8).toArray(ValueLayout.JAVA_BYTE), java.nio.charset.StandardCharsets.US_ASCII));
            assertEquals(2_000_000, c.get(ValueLayout.JAVA_LONG_UNALIGNED, 0x10));
            assertEquals(0x200000, c.get(ValueLayout.JAVA_LONG_UNALIGNED, 0x18));
            assertEquals((64 << 20) - 0x200000, c.get(ValueLayout.JAVA_LONG_UNALIGNED, 0x20));
            assertEquals(0xd0000000L, c.get(ValueLayout.JAVA_LONG_UNALIGNED, 0x30));
            assertEquals(4096, c.get(ValueLayout.JAVA_INT_UNALIGNED, 0x48));
            GuestConfig.post(mem, image, GuestCommand.VERIFY, 5);
            assertEquals(1, c.get(ValueLayout.JAVA_INT_UNALIGNED, 0x60));
            assertEquals(5, c.get(ValueLayout.JAVA_INT_UNALIGNED, 0x64));
            assertTrue(mem.isDirty(image.configAddress()));
            assertFalse(GuestStatus.read(mem, image).valid(), "the guest has not run");
        }
    }

    @Test
    void configRejectsBadParameters() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> new GuestConfig(1, 0x200000, 1 << 20, 0, 0, 0, 0, 1000, 0, 1, 0, 0));
        assertTrue(e.getMessage().contains("blockSize 1000"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new GuestConfig(0, 0x200000, 1 << 20, 1 << 20, 0, 0, 0, 4096, 0, 1, 0, 0));
        assertTrue(e.getMessage().contains("tscKhz"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> GuestConfig.forRam(image, 1 << 20, 1, 0));
    }
}
