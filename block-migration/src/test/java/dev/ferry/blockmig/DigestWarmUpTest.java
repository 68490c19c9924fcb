package dev.ferry.blockmig;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The warm-up hashes what it is given, across digest tables, and stops at the next piece when told. */
class DigestWarmUpTest {

    private static final long MIB = 1 << 20;

    @Test
    void hashesEveryMiBAcrossTablesWhenNothingStopsIt() {
        assertEquals(40 * MIB, DigestWarmUp.run(40, () -> false), "two tables: 32 MiB, then 8 more");
    }

    @Test
    void stopsAtTheNextPieceOnceToldACopyBegan() {
        AtomicInteger asked = new AtomicInteger();
        assertEquals(5 * MIB, DigestWarmUp.run(DigestWarmUp.BYTES_MIB, () -> asked.incrementAndGet() > 5));
        assertEquals(6, asked.get(), "asked before each piece, and not after it stopped");
    }
}
