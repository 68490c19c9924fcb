package dev.ferry.monitor.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class IncomingTargetTest {

    @Test
    void resumeOnIsSplitOffTheUri() {
        assertEquals(new IncomingTarget("tcp:0:4444", true), IncomingTarget.parse("tcp:0:4444,resume=on"));
        assertEquals(new IncomingTarget("unix:/tmp/m.sock", false), IncomingTarget.parse("unix:/tmp/m.sock,resume=off"));
        assertEquals(new IncomingTarget("tcp:0:4444", false), IncomingTarget.parse("tcp:0:4444"));
    }

    /** Anything else stays in the URI, for the transport to refuse in its own words. */
    @Test
    void otherOptionsStayInTheUri() {
        assertEquals(new IncomingTarget("tcp:0:4444,resume=yes", false), IncomingTarget.parse("tcp:0:4444,resume=yes"));
    }
}
