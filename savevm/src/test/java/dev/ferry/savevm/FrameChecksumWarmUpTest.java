package dev.ferry.savevm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ferry.savevm.stream.FrameChecksum;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The warm-up hashes what it is asked and stops when a stream begins. */
class FrameChecksumWarmUpTest {

    @Test
    void hashesEveryMibUnlessAStreamBegins() {
        assertEquals(3L << 20, FrameChecksumWarmUp.run(FrameChecksum.XXH3_64, 3, () -> false));
        AtomicInteger checks = new AtomicInteger();
        assertEquals(2L << 20, FrameChecksumWarmUp.run(FrameChecksum.XXH3_64, 8, () -> checks.incrementAndGet() > 2),
                "stops at the frame after the stream began");
    }
}
