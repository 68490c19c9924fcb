package dev.ferry.blockmig;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.vm.block.BlockDevice;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rehearsal copies its scratch disk through a real copy, leaves no file behind, gives way to a
 * real copy by cancelling its own, and does not take its own copies for real ones.
 */
class DiskCopyRehearsalTest {

    private static final Path TMP = Path.of(System.getProperty("java.io.tmpdir"));

    @Test
    void copiesEveryRoundAndLeavesNoFileBehind() throws IOException {
        List<Path> before = scratchDirectories();
        BooleanSupplier stop = DiskCopyRehearsal.untilACopyBegins();
        assertEquals(2, DiskCopyRehearsal.run(2, Duration.ofMinutes(1), () -> false));
        assertEquals(before, scratchDirectories(), "the scratch directory and its images are deleted");
        assertFalse(stop.getAsBoolean(), "its own copies, both sides of each, are not real ones");
    }

    @Test
    void beginsNoCopyAfterTheFirstOnceItsTimeIsSpent() throws IOException {
        assertEquals(1, DiskCopyRehearsal.run(DiskCopyRehearsal.ROUNDS, Duration.ZERO, () -> false));
    }

    @Test
    void cancelsTheCopyUnderWayWhenTold() throws IOException {
        List<Path> before = scratchDirectories();
        AtomicInteger asked = new AtomicInteger();
        // Asked first before the round, then every 10 ms while the copy runs (a 16 MiB copy takes longer).
        assertEquals(0, DiskCopyRehearsal.run(DiskCopyRehearsal.ROUNDS, Duration.ofMinutes(1), () -> asked.incrementAndGet() > 1));
        assertEquals(before, scratchDirectories(), "both sides ended before the files went");
    }

    @Test
    void aCopyOfAnyOtherDiskStopsIt(@TempDir Path dir) throws IOException {
        BooleanSupplier stop = DiskCopyRehearsal.untilACopyBegins();
        // A disk in a directory named like a scratch one, but not one of them, is real.
        Path lookalike = Files.createDirectory(dir.resolve("ferry-rehearsal-1")).resolve("source.raw");
        try (BlockDevice disk = Images.raw(lookalike, 1 << 20)) {
            assertFalse(stop.getAsBoolean());
            DiskCopyRehearsal.copyBegins(disk);
            assertTrue(stop.getAsBoolean());
        }
    }

    private static List<Path> scratchDirectories() throws IOException {
        try (Stream<Path> files = Files.list(TMP)) {
            List<Path> found = files.filter(f -> f.getFileName().toString().startsWith(DiskCopyRehearsal.SCRATCH_PREFIX)).sorted().toList();
            assertTrue(found.stream().allMatch(Files::isDirectory), "only directories by that name: " + found);
            return found;
        }
    }
}
