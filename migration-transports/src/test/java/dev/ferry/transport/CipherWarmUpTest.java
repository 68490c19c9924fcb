package dev.ferry.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The record cipher's warm-up: each record it seals opens again, and it stops when told. */
class CipherWarmUpTest {

    @Test
    void sealsAndOpensRecordsOfEverySizeOnItsOwnKey() throws Exception {
        int records = 2 * 128 + 5;
        assertEquals(records, CipherWarmUp.run(records, () -> false));
    }

    @Test
    void stopsAtTheNextRecordOnceAsked() throws Exception {
        AtomicInteger asked = new AtomicInteger();
        assertEquals(7, CipherWarmUp.run(CipherWarmUp.RECORDS, () -> asked.getAndIncrement() == 7));
    }
}
