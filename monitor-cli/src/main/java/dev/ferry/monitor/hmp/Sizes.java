package dev.ferry.monitor.hmp;

import java.math.BigDecimal;
import java.util.Locale;

/** Sizes as QEMU users type them: {@code 512}, {@code 64K}, {@code 100M}, {@code 1.5G}, {@code 2T}. */
public final class Sizes {

    private Sizes() {
    }

    /**
     * Parses a size; a bare number is taken in {@code defaultUnit} (QEMU's migrate_set_speed reads
     * a bare number as MiB, a disk size as bytes).
     */
    public static long parse(String text, char defaultUnit) {
        String trimmed = text.trim();
        if (trimmed.isEmpty()) {
            throw new IllegalArgumentException("empty size");
        }
        char last = Character.toUpperCase(trimmed.charAt(trimmed.length() - 1));
        boolean suffixed = Character.isLetter(last);
        String digits = suffixed ? trimmed.substring(0, trimmed.length() - 1) : trimmed;
        char unit = suffixed ? last : Character.toUpperCase(defaultUnit);
        BigDecimal value;
        try {
            value = new BigDecimal(digits);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is not a size (examples: 4096, 64K, 100M, 1.5G)");
        }
        if (value.signum() < 0) {
            throw new IllegalArgumentException("size '" + text + "' is negative");
        }
        int shift = switch (unit) {
            case 'B' -> 0;
            case 'K' -> 10;
            case 'M' -> 20;
            case 'G' -> 30;
            case 'T' -> 40;
            default -> throw new IllegalArgumentException("'" + text + "' has an unknown unit (use B, K, M, G or T)");
        };
        BigDecimal bytes = value.multiply(BigDecimal.valueOf(1L << shift));
        if (bytes.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
            throw new IllegalArgumentException("size '" + text + "' is too large");
        }
        try {
            return bytes.longValueExact();
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("size '" + text + "' is not a whole number of bytes");
        }
    }

    /** A byte count for people: {@code 1.5 GiB}, {@code 640 KiB}. */
    public static String human(long bytes) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
        double value = bytes;
        int unit = 0;
        while (value >= 1024 && unit < units.length - 1) {
            value /= 1024;
            unit++;
        }
        return unit == 0 ? bytes + " B" : String.format(Locale.ROOT, "%.1f %s", value, units[unit]);
    }
}
