package dev.ferry.vm.device.virtio.blk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.vm.device.ArenaGuestMemory;
import dev.ferry.vm.device.FileBlockDevice;
import dev.ferry.vm.device.state.QueueState;
import dev.ferry.vm.device.state.VirtioMmioState;
import dev.ferry.vm.device.virtio.VirtioMmioTransport;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VirtioBlkTest {

    private static final long VERSION_1 = 1L << 32;
    private static final long DATA = 0x10000;
    private static final long DISK_BYTES = 1 << 20;

    @TempDir
    Path dir;

    private ArenaGuestMemory mem;
    private FileBlockDevice disk;
    private Path image;
    private final AtomicInteger interrupts = new AtomicInteger();

    @BeforeEach
    void setUp() throws IOException {
        mem = new ArenaGuestMemory(1 << 20);
        image = dir.resolve("disk.raw");
        byte[] initial = new byte[(int) DISK_BYTES];
        new Random(7).nextBytes(initial);
        Files.write(image, initial);
        disk = new FileBlockDevice(image, false);
    }

    @AfterEach
    void tearDown() throws IOException {
        disk.close();
        mem.close();
    }

    private BlkDriver driver(FileBlockDevice d) {
        return new BlkDriver(mem, new VirtioMmioTransport(mem, new VirtioBlk(mem, d, "ferry-disk-0"), interrupts::incrementAndGet));
    }

    @Test
    void writesLandInTheImageAndReadsComeBackIntoGuestMemory() throws IOException {
        BlkDriver drv = driver(disk);
        assertEquals(0x0f, drv.init(VERSION_1 | (1L << 9)));
        byte[] block = new byte[8192];
        new Random(1).nextBytes(block);
        mem.slice(DATA, block.length).copyFrom(MemorySegment.ofArray(block));

        assertEquals(0, drv.request(VirtioBlk.T_OUT, 24, DATA, block.length, false));
        assertArrayEquals(block, Arrays.copyOfRange(Files.readAllBytes(image), 24 * 512, 24 * 512 + 8192));
        assertEquals(1, drv.usedIdx());
        assertEquals(1, drv.usedLen(0), "a write returns only the status byte");

        mem.slice(DATA, block.length).fill((byte) 0);
        mem.clearDirty();
        assertEquals(0, drv.request(VirtioBlk.T_IN, 24, DATA, block.length, true));
        assertArrayEquals(block, mem.slice(DATA, block.length).toArray(ValueLayout.JAVA_BYTE));
        assertEquals(8193, drv.usedLen(1));
        assertTrue(mem.isDirty(DATA) && mem.isDirty(DATA + 4096), "device writes must be in the DMA dirty log");
        assertTrue(mem.isDirty(BlkDriver.USED), "the used ring is device-written too");
        assertTrue(interrupts.get() >= 2);
    }

    @Test
    void getIdFlushAndWriteZeroes() throws IOException {
        BlkDriver drv = driver(disk);
        drv.init(VERSION_1);
        assertEquals(0, drv.request(VirtioBlk.T_GET_ID, 0, DATA, 20, true));
        byte[] id = mem.slice(DATA, 12).toArray(ValueLayout.JAVA_BYTE);
        assertEquals("ferry-disk-0", new String(id, StandardCharsets.US_ASCII));
        assertEquals(0, drv.request(VirtioBlk.T_FLUSH, 0, 0, 0, false));

        MemorySegment seg = mem.slice(DATA, 16);
        seg.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, 8);
        seg.set(ValueLayout.JAVA_INT_UNALIGNED, 8, 4);
        seg.set(ValueLayout.JAVA_INT_UNALIGNED, 12, 0);
        assertEquals(0, drv.request(VirtioBlk.T_WRITE_ZEROES, 0, DATA, 16, false));
        byte[] onDisk = Files.readAllBytes(image);
        assertArrayEquals(new byte[2048], Arrays.copyOfRange(onDisk, 4096, 6144));
        assertFalse(Arrays.equals(new byte[512], Arrays.copyOfRange(onDisk, 6144, 6656)), "the next sector is untouched");
        assertEquals(2, drv.request(99, 0, 0, 0, false), "unknown request types are UNSUPP");
    }

    @Test
    void badRequestsFailWithIoErrorAndTouchNothing() throws IOException {
        BlkDriver drv = driver(disk);
        drv.init(VERSION_1);
        byte[] before = Files.readAllBytes(image);
        long lastSector = DISK_BYTES / 512 - 1;
        assertEquals(1, drv.request(VirtioBlk.T_OUT, lastSector, DATA, 1024, false), "past the end of the disk");
        assertEquals(1, drv.request(VirtioBlk.T_OUT, 0, DATA, 100, false), "not whole sectors");
        assertEquals(1, drv.request(VirtioBlk.T_IN, 0, (1 << 20) - 512, 1024, true), "buffer outside guest RAM");
        assertEquals(1, drv.request(VirtioBlk.T_OUT, 0, DATA, 512, true), "wrong buffer direction");
        assertArrayEquals(before, Files.readAllBytes(image));
        assertEquals(0x0f, drv.read32(0x70), "bad requests do not break the device");
    }

    @Test
    void aLoopingChainAsksForResetInsteadOfHanging() {
        BlkDriver drv = driver(disk);
        drv.init(VERSION_1);
        drv.desc(0, BlkDriver.HEADER, 16, 1, 1);
        drv.desc(1, DATA, 512, 1, 0);
        drv.publish(0);
        assertEquals(0x40, drv.read32(0x70) & 0x40, "DEVICE_NEEDS_RESET");
        assertEquals(2, drv.read32(0x60) & 2, "config-change interrupt");
        drv.write32(0x70, 0);
        assertEquals(0, drv.read32(0x70));
        assertEquals(0x0f, drv.init(VERSION_1));
    }

    @Test
    void readOnlyDiskOffersRoAndRefusesWrites() throws IOException {
        try (FileBlockDevice ro = new FileBlockDevice(image, true)) {
            BlkDriver drv = driver(ro);
            assertEquals(1L << 5, drv.deviceFeatures() & (1L << 5));
            assertEquals(0, drv.deviceFeatures() & (1L << 14), "no write-zeroes on a read-only disk");
            drv.init(VERSION_1 | (1L << 5));
            assertEquals(2, drv.request(VirtioBlk.T_OUT, 0, DATA, 512, false));
            assertEquals(0, drv.request(VirtioBlk.T_IN, 0, DATA, 512, true));
        }
    }

    @Test
    void featuresNotOfferedAreRefused() {
        BlkDriver drv = driver(disk);
        assertEquals(0, drv.init(VERSION_1 | (1L << 28)) & 8, "FEATURES_OK must not stick");
    }

    @Test
    void stateRestoresIntoAFreshTransportThatContinuesTheQueue() throws IOException {
        BlkDriver drv = driver(disk);
        drv.init(VERSION_1);
        mem.slice(DATA, 512).fill((byte) 0x5a);
        drv.request(VirtioBlk.T_OUT, 3, DATA, 512, false);
        drv.request(VirtioBlk.T_OUT, 4, DATA, 512, false);
        VirtioMmioState saved = drv.transport.state();
        assertEquals(new QueueState(BlkDriver.QSIZE, true, BlkDriver.DESC, BlkDriver.AVAIL, BlkDriver.USED, 2, 2),
                saved.queues().getFirst());

        BlkDriver other = driver(disk);
        other.transport.restore(saved);
        assertEquals(saved, other.transport.state());
        BlkDriver continued = drv.movedTo(other.transport);
        assertEquals(0, continued.request(VirtioBlk.T_IN, 4, DATA + 4096, 512, true));
        assertEquals(3, continued.usedIdx());
        assertEquals((byte) 0x5a, mem.slice(DATA + 4096 + 511, 1).get(ValueLayout.JAVA_BYTE, 0));
    }

    @Test
    void restoreRejectsStateThatDoesNotFit() {
        BlkDriver drv = driver(disk);
        drv.init(VERSION_1);
        VirtioMmioState s = drv.transport.state();
        VirtioMmioState badRings = new VirtioMmioState(s.deviceId(), s.deviceFeatures(), s.driverFeatures(), 0, 0, 0,
                s.status(), 0, 0, List.of(new QueueState(16, true, 0xfff000, 0x2000, 0x3000, 0, 0)));
        var e = assertThrows(IllegalArgumentException.class, () -> driver(disk).transport.restore(badRings));
        assertTrue(e.getMessage().contains("outside guest RAM"), e.getMessage());
        VirtioMmioState otherFeatures = new VirtioMmioState(s.deviceId(), s.deviceFeatures() | (1L << 5), s.driverFeatures(),
                0, 0, 0, s.status(), 0, 0, s.queues());
        e = assertThrows(IllegalArgumentException.class, () -> driver(disk).transport.restore(otherFeatures));
        assertTrue(e.getMessage().contains("device features"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new QueueState(12, false, 0, 0, 0, 0, 0));
        assertTrue(e.getMessage().contains("power of two"), e.getMessage());
    }
}
