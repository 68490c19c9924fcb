package dev.ferry.bench;

/** Byte counts the way ferry's options spell them: 100M, 1G, 4G. */
final class Sizes {

    private static final String UNITS = "KMGT";

    private Sizes() {
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
