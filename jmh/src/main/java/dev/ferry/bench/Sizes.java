package dev.ferry.bench;

import java.util.Locale;

/** Byte counts the way ferry's options spell them: 100M, 1G, 4G. */
final class Sizes {

    private static final String UNITS = "KMGT";

    private Sizes() {
    }

    /**
     * A size like ferry's options take it: a whole number with an optional binary unit K, M, G
     * or T ("4G" is 4 GiB).
     *
     * @throws IllegalArgumentException naming the text
     */
    static long parse(String text) {
        String t = text.strip().toUpperCase(Locale.ROOT);
        int unit = t.isEmpty() ? -1 : UNITS.indexOf(t.charAt(t.length() - 1));
        String digits = unit >= 0 ? t.substring(0, t.length() - 1) : t;
        if (!digits.matches("\\d{1,12}")) {
            throw new IllegalArgumentException("'" + text + "' is not a size like 512M or 4G");
        }
        return Long.parseLong(digits) << (10 * (unit + 1));
    }

    /** The largest binary unit that divides {@code bytes}: 1073741824 → "1G"; 1000 → "1000". */
    static String format(long bytes) {
        int unit = -1;
        while (unit + 1 < UNITS.length() && bytes != 0 && bytes % (1L << (10 * (unit + 2))) == 0) {
            unit++;
        }
        return unit < 0 ? Long.toString(bytes) : (bytes >> (10 * (unit + 1))) + String.valueOf(UNITS.charAt(unit));
    }
}
