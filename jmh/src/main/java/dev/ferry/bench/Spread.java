package dev.ferry.bench;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.SequencedMap;

/**
 * One figure over several runs: the median (the value quoted) and the extremes (how much the
 * machine moved it). Runs that did not produce the figure (NaN) are left out.
 */
record Spread(double median, double min, double max, int runs) {

    static final Spread NONE = new Spread(Double.NaN, Double.NaN, Double.NaN, 0);

    static Spread of(List<Double> values) {
        double[] sorted = values.stream().mapToDouble(Double::doubleValue).filter(Double::isFinite).sorted().toArray();
        int n = sorted.length;
        if (n == 0) {
            return NONE;
        }
        double median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
        return new Spread(median, sorted[0], sorted[n - 1], n);
    }

    static Spread of(double... values) {
        return of(Arrays.stream(values).boxed().toList());
    }

    boolean present() {
        return runs > 0;
    }

    /** {@code median [min..max]} with {@code decimals} decimals, or "-" when absent. */
    String format(int decimals) {
        if (!present()) {
            return "-";
        }
        String f = "%." + decimals + "f";
        String quoted = String.format(Locale.ROOT, f, median);
        return runs == 1 ? quoted : quoted + String.format(Locale.ROOT, " [" + f + ".." + f + "]", min, max);
    }

    SequencedMap<String, Object> toJson() {
        SequencedMap<String, Object> json = new LinkedHashMap<>();
        json.put("median", median);
        json.put("min", min);
        json.put("max", max);
        json.put("runs", runs);
        return json;
    }
}
