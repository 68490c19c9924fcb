package dev.ferry.savevm.source;

import java.time.Duration;

/**
 * Judges convergence once per stall window: pending bytes that did not shrink by at least 5%
 * over a window raise the throttle level by one. The level never falls during a migration (as
 * QEMU's auto-converge): dropping it lets the guest race ahead again and the copy oscillates.
 */
final class Convergence {

    private final long windowNanos;
    private final int maxWindows;
    private long windowStart = -1;
    private long startPending;
    private int level;

    Convergence(Duration window, int maxWindows) {
        this.windowNanos = window.toNanos();
        this.maxWindows = maxWindows;
    }

    /** Records {@code pending} at {@code now}; true if a window just ended in a stall (the level rose). */
    boolean observe(long now, long pending) {
        if (windowStart < 0) {
            windowStart = now;
            startPending = pending;
            return false;
        }
        if (now - windowStart < windowNanos) {
            return false;
        }
        boolean stalled = pending >= startPending - startPending / 20;
        if (stalled) {
            level++;
        }
        windowStart = now;
        startPending = pending;
        return stalled;
    }

    int level() {
        return level;
    }

    /** Whether as many stall windows as allowed have passed. */
    boolean exhausted() {
        return maxWindows > 0 && level >= maxWindows;
    }
}
