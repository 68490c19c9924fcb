package dev.ferry.savevm.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;

/** Lines kept inside the downtime reach the log only at the flush, in order; nothing is kept when debug is off. */
class DowntimeLogTest {

    /** A logger that records what it writes. */
    private static final class Recording extends LegacyAbstractLogger {
        final List<String> written = new ArrayList<>();
        private boolean debug;

        Recording(boolean debug) {
            this.debug = debug;
        }

        @Override
        public boolean isTraceEnabled() {
            return false;
        }

        @Override
        public boolean isDebugEnabled() {
            return debug;
        }

        @Override
        public boolean isInfoEnabled() {
            return true;
        }

        @Override
        public boolean isWarnEnabled() {
            return true;
        }

        @Override
        public boolean isErrorEnabled() {
            return true;
        }

        @Override
        protected String getFullyQualifiedCallerName() {
            return null;
        }

        @Override
        protected void handleNormalizedLoggingCall(Level level, Marker marker, String format, Object[] arguments, Throwable t) {
            written.add(level + " " + MessageFormatter.basicArrayFormat(format, arguments));
        }
    }

    @Test
    void keptLinesAreWrittenAtTheFlushInOrderAndOnlyOnce() {
        Recording logger = new Recording(true);
        DowntimeLog log = new DowntimeLog(logger);
        log.add("section {}: rest in {} µs", "'ram'", 7826L);
        log.add("section {}: {} bytes of state saved in {} µs", "'cpu'", 7102, 59698L);
        assertEquals(List.of(), logger.written, "nothing is written inside the downtime");
        log.flush();
        assertEquals(List.of("DEBUG section 'ram': rest in 7826 µs", "DEBUG section 'cpu': 7102 bytes of state saved in 59698 µs"),
                logger.written);
        log.flush();
        assertEquals(2, logger.written.size(), "a second flush writes nothing again");
    }

    /** A line added while debug is off is not kept: turned on by the flush, the logger still gets nothing. */
    @Test
    void nothingIsKeptWhenDebugIsOff() {
        Recording logger = new Recording(false);
        DowntimeLog log = new DowntimeLog(logger);
        log.add("section {}: verified in {} µs", "'cmos'", 18L);
        logger.debug = true;
        log.flush();
        assertEquals(List.of(), logger.written);
    }
}
