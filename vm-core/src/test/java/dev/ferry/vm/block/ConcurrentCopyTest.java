package dev.ferry.vm.block;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A guest thread writes while a migration thread copies dirty chunks tracked by a write observer:
 * because the observer runs after the data is in the image, clearing a mark before reading the
 * chunk never loses a write, and the copy ends equal to the source.
 */
class ConcurrentCopyTest {

    private static final int MIB = 1 << 20;
    private static final int CHUNK = 256 * 1024;

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"raw", "qcow2"})
    void dirtyTrackingCopyConvergesUnderWrites(String format) throws Exception {
        Path source = dir.resolve("source." + format);
        int size = 16 * MIB;
        if (format.equals("raw")) {
            BlockImages.createRaw(source, size);
        } else {
            BlockImages.createQcow2(source, size, 65536);
        }
        Path target = dir.resolve("target.raw");
        BlockImages.createRaw(target, size);
        try (BlockDevice disk = BlockImages.open(source, ImageFormat.fromId(format), false);
                BlockDevice copy = BlockImages.open(target, ImageFormat.RAW, false)) {
            BitSet dirty = new BitSet(size / CHUNK);
            dirty.set(0, size / CHUNK);
            BlockDevice.Registration registration = disk.observe((offset, length) -> {
                synchronized (dirty) {
                    dirty.set((int) (offset / CHUNK), (int) ((offset + length - 1) / CHUNK) + 1);
                }
            });
            AtomicBoolean writing = new AtomicBoolean(true);
            AtomicInteger writes = new AtomicInteger();
            CompletableFuture<Void> guest = CompletableFuture.runAsync(() -> guestWrites(disk, size, writing, writes));
            int passes = 0;
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment buffer = arena.allocate(CHUNK, 4096);
                while (true) {
                    boolean quiet = !writing.get();
                    int chunk;
                    synchronized (dirty) {
                        chunk = dirty.nextSetBit(0);
                        if (chunk >= 0) {
                            dirty.clear(chunk);
                        }
                    }
                    if (chunk < 0) {
                        if (quiet) {
                            break;
                        }
                        passes++;
                        Thread.onSpinWait();
                        continue;
                    }
                    disk.read((long) chunk * CHUNK, buffer);
                    copy.write((long) chunk * CHUNK, buffer);
                }
            }
            guest.join();
            registration.close();
            assertTrue(writes.get() > 100, "the guest wrote while the copy ran (" + writes.get() + " writes)");
            Images.assertContent(Images.readAll(disk), Images.readAll(copy), "copy after " + passes + " idle passes");
        }
    }

    private static void guestWrites(BlockDevice disk, int size, AtomicBoolean writing, AtomicInteger writes) {
        Random random = new Random(42);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(128 * 1024, 4096);
            long deadline = System.nanoTime() + 1_500_000_000L;
            while (System.nanoTime() < deadline) {
                int length = (1 + random.nextInt(256)) * 512;
                long offset = random.nextInt((size - length) / 512) * 512L;
                buffer.asSlice(0, length).fill((byte) random.nextInt());
                disk.write(offset, buffer.asSlice(0, length));
                writes.incrementAndGet();
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        } finally {
            writing.set(false);
        }
    }
}
