package dev.ferry.vm.migration;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.ferry.savevm.MigrationException;
import dev.ferry.vm.cpu.RunGate;
import dev.ferry.vm.cpu.VcpuThrottle;
import dev.ferry.vm.memory.DirtyTracker;
import dev.ferry.vm.memory.GuestRam;
import dev.ferry.vm.memory.PageBitmap;
import dev.ferry.vm.memory.RamRegion;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;

/**
 * The RAM part of a RESUME payload comes from the destination over the network: any bytes must be
 * refused in one line ({@link MigrationException}), or accepted only when what the source read of
 * them is exactly its own layout's encoding (as a destination with the same RAM would send it).
 */
class RamResumeFuzzTest {

    /** Two regions, below and above the 4 GiB line, as a machine's; kept for the fuzzing JVM's life. */
    private static final GuestRam RAM = new GuestRam(List.of(
            new RamRegion(0, 0, Arena.global().allocate(2L << 20, 4096)),
            new RamRegion(1, 1L << 32, Arena.global().allocate(2L << 20, 4096))), () -> { });
    private static final RamSection SECTION = new RamSection(RAM, new NoTracking(), new VcpuThrottle(new RunGate()));
    /** What a destination with the same RAM sends. */
    private static final byte[] OWN_LAYOUT = SECTION.resumeHeld();

    @FuzzTest(maxDuration = "30s")
    void checkResume(byte[] payload) {
        ByteBuffer held = ByteBuffer.wrap(payload);
        try {
            SECTION.checkResume(held);
            assertArrayEquals(OWN_LAYOUT, Arrays.copyOf(payload, held.position()), "accepted another layout");
        } catch (MigrationException refused) {
            if (refused.getMessage().contains("\n")) {
                throw new AssertionError("a refusal must be one line: " + refused.getMessage(), refused);
            }
        }
    }

    /** The check reads bytes only; a migration's tracking never starts here. */
    private static final class NoTracking implements DirtyTracker {
        @Override
        public void start() {
            throw new UnsupportedOperationException("no tracking in a RESUME check");
        }

        @Override
        public void harvest(List<PageBitmap> into) {
            throw new UnsupportedOperationException("no tracking in a RESUME check");
        }

        @Override
        public void stop() {
            throw new UnsupportedOperationException("no tracking in a RESUME check");
        }
    }
}
