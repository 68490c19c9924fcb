package dev.ferry.bench;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.SequencedMap;

/**
 * One of the targets, checked against the medians of a run.
 *
 * @param atMost whether the value must stay at or under the limit (else at or over it)
 */
record Target(String name, double value, double limit, boolean atMost) {

    /** Unknown (NaN, a scenario without runs) counts as missed. */
    boolean met() {
        return atMost ? value <= limit : value >= limit;
    }

    String format() {
        return String.format(Locale.ROOT, "%-44s %10.3f %s %-8s %s", name, value, atMost ? "<=" : ">=",
                String.format(Locale.ROOT, "%.3f", limit), Double.isNaN(value) ? "NOT MEASURED" : met() ? "met" : "MISSED");
    }

    SequencedMap<String, Object> toJson() {
        SequencedMap<String, Object> json = new LinkedHashMap<>();
        json.put("target", name);
        json.put("value", value);
        json.put(atMost ? "at_most" : "at_least", limit);
        json.put("met", met());
        return json;
    }
}
