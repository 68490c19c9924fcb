package dev.ferry.blockmig;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class WriteThrottleTest {

    /**
     * A writer held for an hour at 99% (1 GiB dirtied against 1 MB/s sent) goes at once when the
     * throttle is lifted, writes free while it stays lifted, and the next stall raises it again.
     */
    @Test
    void liftLetsADelayedWriterGoUntilTheNextRaise() throws Exception {
        WriteThrottle throttle = new WriteThrottle();
        throttle.sendRate(1e6);
        throttle.raiseTo(7);
        assertEquals(99, throttle.percent());
        Thread writer = Thread.ofPlatform().daemon().start(() -> throttle.dirtied(1L << 30));
        writer.join(200);
        assertTrue(writer.isAlive(), "the writer was not held at 99%");

        throttle.lift();
        assertEquals(0, throttle.percent());
        assertTrue(writer.join(java.time.Duration.ofSeconds(30)), "the lifted throttle still held the writer");
        long started = System.nanoTime();
        throttle.dirtied(1L << 30);
        assertTrue(System.nanoTime() - started < TimeUnit.SECONDS.toNanos(30), "a lifted throttle delayed a write");

        throttle.raiseTo(1);
        assertEquals(20, throttle.percent());
        Thread again = Thread.ofPlatform().daemon().start(() -> throttle.dirtied(1L << 30));
        again.join(200);
        assertTrue(again.isAlive(), "the raised throttle did not hold the writer");
        throttle.release();
        assertTrue(again.join(java.time.Duration.ofSeconds(30)));
        assertFalse(again.isAlive());
    }
}
