package dev.ferry.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import org.junit.jupiter.api.Test;

/** QMP lines as QEMU 7.2 writes them: events with their stamps, and everything else left out. */
class QmpEventsTest {

    @Test
    void anEventCarriesQemusStamp() {
        QmpEvents.Event event = QmpEvents.parse(
                "{\"timestamp\": {\"seconds\": 1796646607, \"microseconds\": 68054}, \"event\": \"STOP\"}").orElseThrow();
        assertEquals("STOP", event.name());
        assertEquals(Instant.ofEpochSecond(1796646607, 68_054_000), event.at());
    }

    @Test
    void greetingsRepliesAndUnstampedLinesAreNoEvents() {
        assertTrue(QmpEvents.parse("{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 7}}, "
                + "\"capabilities\": [\"oob\"]}}").isEmpty());
        assertTrue(QmpEvents.parse("{\"return\": {}}").isEmpty());
        assertTrue(QmpEvents.parse("{\"event\": \"RESUME\"}").isEmpty());
    }
}
