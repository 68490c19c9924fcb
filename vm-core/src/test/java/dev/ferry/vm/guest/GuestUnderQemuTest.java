package dev.ferry.vm.guest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.vm.block.BlockImages;
import dev.ferry.vm.memory.GuestMemory;
import dev.ferry.vm.memory.GuestRam;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the built-in guest under QEMU (TCG) instead of Ferry's VMM, which needs KVM: the guest
 * program must boot, run its workloads on a real virtio-blk device, answer commands, and catch
 * a corrupted disk block and memory page, naming each.
 */
class GuestUnderQemuTest {

    private static final long RAM = 64L << 20;
    private static final int BLOCK = 4096;
    private static final long DISK_BLOCKS = 256;
    private static final String SERIAL = "ferry-qemu-disk";
    private static final long BLOCK_MAGIC = 0x4b4c425952524546L; // "FERRYBLK"
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final ValueLayout.OfLong WORD = ValueLayout.JAVA_LONG_UNALIGNED;

    private static final Pattern READY = Pattern.compile("ferry-guest: ready pages=(\\d+) at 0x(\\p{XDigit}{16})");
    private static final Pattern PROGRESS = Pattern.compile(
            "ferry-guest: progress pages=(\\d+) blocks=(\\d+)/(\\d+) errors=(\\d+)");
    private static final Pattern VERIFY_OK = Pattern.compile("ferry-guest: verify ok pages=(\\d+) blocks=(\\d+)");
    private static final Pattern STOPPED = Pattern.compile("ferry-guest: stopped pages=(\\d+) blocks=(\\d+) errors=0");

    @TempDir
    Path dir;

    private QemuMicrovm qemu;
    private Matcher lastProgress;
    private int progressLines;

    @Test
    void guestRunsVerifiesStopsAndNamesCorruptedBlockAndPage() throws Exception {
        QemuMicrovm.assumeAvailable();
        GuestImage image = GuestImage.builtIn();
        Path disk = dir.resolve("disk.raw");
        // Larger than the blocks the guest may use, so "blocks=" in its disk line shows it keeps to disk_blocks.
        BlockImages.createRaw(disk, 4 * DISK_BLOCKS * BLOCK);
        Path ramFile = dir.resolve("ram");
        try (GuestRam ram = QemuMicrovm.mapRam(ramFile, RAM)) {
            image.loadInto(ram);
            long tscKhz = QemuMicrovm.tscKhz();
            GuestConfig arena = GuestConfig.forRam(image, RAM, tscKhz, 0);
            new GuestConfig(tscKhz, arena.arenaBase(), arena.arenaSize(), 1 << 20, QemuMicrovm.VIRTIO_MMIO_0,
                    256 << 10, DISK_BLOCKS, BLOCK, 30, 8, 200, 7).writeTo(ram, image);
            try (QemuMicrovm started = QemuMicrovm.start(dir, ramFile, RAM, disk, SERIAL)) {
                qemu = started;
                assertEquals("ferry-guest: ring 3 up", qemu.nextLine(WAIT));
                assertEquals("ferry-guest: disk id=" + SERIAL + " blocks=" + DISK_BLOCKS + " rw", qemu.nextLine(WAIT));
                Matcher ready = expect(READY, qemu.nextLine(WAIT));
                long pages = Long.parseLong(ready.group(1));
                long firstPage = Long.parseUnsignedLong(ready.group(2), 16);
                assertTrue(pages > 1000 && firstPage >= arena.arenaBase(), ready.group());
                runUntilBothWorkloadsWrote();

                Matcher running = expect(VERIFY_OK, answer(ram, image, GuestCommand.VERIFY, 1));
                assertTrue(count(running, 1) > 0 && count(running, 2) > 0, running.group());
                Matcher stopped = expect(STOPPED, answer(ram, image, GuestCommand.STOP, 2));
                Matcher clean = expect(VERIFY_OK, answer(ram, image, GuestCommand.VERIFY, 3));
                long pagesChecked = count(clean, 1);
                long blocksChecked = count(clean, 2);
                assertTrue(pagesChecked >= count(running, 1) && blocksChecked >= count(running, 2), clean.group());
                assertTrue(count(stopped, 1) >= pagesChecked && count(stopped, 2) >= blocksChecked, stopped.group());
                // What the guest checked is exactly what the host sees written, in its RAM and on its disk.
                assertEquals(pagesChecked, writtenPages(ram, firstPage, pages), "pages holding a pattern");
                long victimBlock = corruptFirstWrittenBlock(disk, blocksChecked);

                String failed = "ferry-guest: verify FAILED pages=" + pagesChecked + " blocks=" + blocksChecked;
                assertEquals(failed + " bad_pages=0 bad_blocks=1 first=" + hex(victimBlock),
                        answer(ram, image, GuestCommand.VERIFY, 4));
                long victimPage = corruptFirstWrittenPage(ram, firstPage, pages);
                assertEquals(failed + " bad_pages=1 bad_blocks=1 first=" + hex(victimPage),
                        answer(ram, image, GuestCommand.VERIFY, 5));

                GuestStatus status = GuestStatus.read(ram, image);
                assertEquals(GuestStatus.State.STOPPED, status.state(), qemu.describe());
                assertEquals(2, status.lastVerify(), "the last verify failed");
                assertEquals(3, status.errors(), "one bad block, then a bad block and a bad page");
                assertEquals(count(stopped, 1), status.pagesWritten());
                assertEquals(count(stopped, 2), status.blocksWritten());
                assertEquals(2, status.blocksRead() - status.blocksVerified(), "only the corrupted block read bad, twice");
            }
        }
    }

    /** Waits for progress lines until pages and blocks were written, checking they only grow. */
    private void runUntilBothWorkloadsWrote() throws InterruptedException {
        while (lastProgress == null || count(lastProgress, 1) == 0 || count(lastProgress, 2) == 0 || progressLines < 3) {
            Matcher progress = expect(PROGRESS, qemu.nextLine(WAIT));
            assertEquals(0, count(progress, 4), progress.group());
            if (lastProgress != null) {
                assertTrue(count(progress, 1) >= count(lastProgress, 1) && count(progress, 2) >= count(lastProgress, 2),
                        progress.group());
            }
            lastProgress = progress;
            progressLines++;
        }
    }

    /**
     * Posts a command and returns the guest's answer, the next line that is not a progress line,
     * once the status block says the command is done (the guest prints before it updates that).
     */
    private String answer(GuestMemory ram, GuestImage image, GuestCommand command, int seq)
            throws InterruptedException {
        GuestConfig.post(ram, image, command, seq);
        String line = qemu.nextLine(WAIT);
        while (PROGRESS.matcher(line).matches()) {
            line = qemu.nextLine(WAIT);
        }
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (GuestStatus.read(ram, image).commandDone() != seq) {
            assertTrue(System.nanoTime() < deadline, () -> command + " " + seq + " printed but not marked done\n" + qemu.describe());
            Thread.sleep(1);
        }
        return line;
    }

    private Matcher expect(Pattern pattern, String line) {
        Matcher m = pattern.matcher(line);
        assertTrue(m.matches(), () -> "expected " + pattern + ", got: " + line + "\n" + qemu.describe());
        return m;
    }

    private static long count(Matcher m, int group) {
        return Long.parseLong(m.group(group));
    }

    private static String hex(long value) {
        return "0x%016x".formatted(value);
    }

    /** Pages the guest wrote hold a pattern whose first word is never 0; the rest are still zero. */
    private static long writtenPages(GuestMemory ram, long firstPage, long pages) {
        long written = 0;
        for (long p = 0; p < pages; p++) {
            if (ram.slice(firstPage + p * 4096, 8).get(WORD, 0) != 0) {
                written++;
            }
        }
        return written;
    }

    /** Flips a word in the middle of the first page the guest wrote; returns the page's address. */
    private static long corruptFirstWrittenPage(GuestMemory ram, long firstPage, long pages) {
        for (long page = firstPage; page < firstPage + pages * 4096; page += 4096) {
            if (ram.slice(page, 8).get(WORD, 0) != 0) {
                MemorySegment word = ram.slice(page + 2048, 8);
                word.set(WORD, 0, ~word.get(WORD, 0));
                return page;
            }
        }
        throw new AssertionError("the guest wrote no page");
    }

    /**
     * Finds the blocks the guest wrote on the raw image (each starts with its magic and index), checks
     * there are as many as it verified, and flips bytes in the payload of the first one.
     */
    private static long corruptFirstWrittenBlock(Path disk, long blocksChecked) throws IOException {
        try (FileChannel file = FileChannel.open(disk, StandardOpenOption.READ, StandardOpenOption.WRITE);
             Arena arena = Arena.ofConfined()) {
            MemorySegment image = file.map(FileChannel.MapMode.READ_WRITE, 0, DISK_BLOCKS * BLOCK, arena);
            long victim = -1;
            long written = 0;
            for (long b = 0; b < DISK_BLOCKS; b++) {
                if (image.get(WORD, b * BLOCK) == BLOCK_MAGIC) {
                    assertEquals(b, image.get(WORD, b * BLOCK + 8), "block " + b + " names its own index");
                    victim = victim < 0 ? b : victim;
                    written++;
                }
            }
            assertEquals(blocksChecked, written, "blocks on the disk image written by the guest");
            long at = victim * BLOCK + BLOCK / 2;
            image.set(WORD, at, ~image.get(WORD, at));
            image.force();
            return victim;
        }
    }
}
