package dev.ferry.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;
import org.junit.jupiter.api.Test;

class JsonTest {

    @Test
    void readsTheDemosLine() {
        SequencedMap<String, Object> demo = Json.parseFlat("{\"mode\":\"full\",\"transport\":\"tcp\",\"disk_bytes\":1073741824,"
                + "\"total_ms\":8292,\"downtime_ms\":-1,\"rate\":1.5e3,\"verified\":true,\"guest_ok\":false,\"note\":null}");
        assertEquals("full", demo.get("mode"));
        assertEquals(1073741824L, demo.get("disk_bytes"));
        assertEquals(-1L, demo.get("downtime_ms"));
        assertEquals(1500.0, demo.get("rate"));
        assertEquals(true, demo.get("verified"));
        assertEquals(false, demo.get("guest_ok"));
        assertTrue(demo.containsKey("note"));
        assertEquals(List.of("mode", "transport", "disk_bytes", "total_ms", "downtime_ms", "rate", "verified", "guest_ok", "note"),
                List.copyOf(demo.keySet()));
    }

    @Test
    void refusesWhatItDoesNotRead() {
        IllegalArgumentException nested = assertThrows(IllegalArgumentException.class, () -> Json.parseFlat("{\"a\":{\"b\":1}}"));
        assertTrue(nested.getMessage().contains("nested values are not read"), nested.getMessage());
        IllegalArgumentException truncated = assertThrows(IllegalArgumentException.class, () -> Json.parseFlat("{\"a\":1"));
        assertTrue(truncated.getMessage().contains("character 6"), truncated.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Json.parseFlat("{\"a\":1} trailing"));
    }

    @Test
    void writesNestedValuesThatReadBack() {
        SequencedMap<String, Object> inner = new LinkedHashMap<>();
        inner.put("median", 12.5);
        inner.put("none", Double.NaN);
        inner.put("whole", 3.0);
        SequencedMap<String, Object> outer = new LinkedHashMap<>();
        outer.put("name", "a \"quoted\"\tline\n");
        outer.put("spread", inner);
        outer.put("runs", List.of(1, 2L, true));
        String text = Json.write(outer);
        assertEquals("{\"name\":\"a \\\"quoted\\\"\\tline\\n\",\"spread\":{\"median\":12.500,\"none\":null,\"whole\":3},"
                + "\"runs\":[1,2,true]}", text);
        assertEquals(Map.of("median", 12.5, "whole", 3L), withoutNulls(Json.parseFlat(Json.write(inner))));
        assertEquals("a \"quoted\"\tline\n", Json.parseFlat("{\"name\":" + Json.write(outer.get("name")) + "}").get("name"));
    }

    private static Map<String, Object> withoutNulls(Map<String, Object> map) {
        Map<String, Object> copy = new LinkedHashMap<>(map);
        copy.values().removeIf(java.util.Objects::isNull);
        return copy;
    }
}
