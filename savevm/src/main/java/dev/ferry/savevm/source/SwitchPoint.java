package dev.ferry.savevm.source;

import java.util.Locale;

/**
 * Picks the moment to pause once the rest fits the downtime limit. Fitting is not enough: each
 * pass over a shrinking dirty set is shorter, so the guest dirties less during it, and a few more
 * passes usually bring the rest down to almost nothing at no cost to the guest. So the copy
 * goes on while every check finds the rest at least {@value #SHRINK_PERCENT}% below the smallest
 * seen since it began to fit, and the VM pauses at the first check that does not, when nothing
 * is pending, or {@value #MAX_SETTLE_MILLIS} ms after it began to fit at the latest. A rest that
 * stops fitting starts the wait anew.
 */
final class SwitchPoint {

    static final int SHRINK_PERCENT = 10;
    static final long MAX_SETTLE_MILLIS = 2000;

    private long firstFit = -1;
    private long firstPending;
    private long smallest;
    private int checks;

    /** At {@code now} the rest is {@code pending} bytes, which {@code fits} the limit or not: pause now? */
    boolean observe(long now, long pending, boolean fits) {
        if (!fits) {
            firstFit = -1;
            return false;
        }
        if (firstFit < 0) {
            firstFit = now;
            firstPending = pending;
            smallest = pending;
            checks = 0;
            return pending == 0;
        }
        checks++;
        if (pending == 0 || pending > smallest - smallest * SHRINK_PERCENT / 100
                || now - firstFit >= MAX_SETTLE_MILLIS * 1_000_000L) {
            return true;
        }
        smallest = pending;
        return false;
    }

    /** How the wait went, for the log: checks, time, and the rest at the start, its smallest and now. */
    String describe(long now, long pending) {
        return String.format(Locale.ROOT, "%d checks over %.1f ms after the rest first fit (%d bytes then, %d at the smallest,"
                + " %d now)", checks, (now - firstFit) / 1e6, firstPending, smallest, pending);
    }
}
