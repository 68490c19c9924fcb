package dev.ferry.savevm.source;

import java.time.Duration;

/**
 * Judges convergence once per stall window: pending bytes that did not shrink by at least 5%
 * over a window raise the throttle level by one; a window that shrinks them resets it to 0.
 */
final class Convergence {

    private final long windowNanos;
    private final int maxWindows;
    private long windowStart = -1;
    private long startPending;
    private int level;
    private int stalls;

    Convergence(Duration window, int maxWindows) {
        this.windowNanos = window.toNanos();
        this.maxWindows = maxWindows;
    }

    /** Records {@code pending} at {@code now}; true if the throttle level changed. */
    boolean observe(long now, long pending) {
        if (windowStart < 0) {
            windowStart = now;
            startPending = pending;
            return false;
        }
        if (now - windowStart < windowNanos) {
            return false;
        }
        int before = level;
        if (pending < startPending - startPending / 20) {
            level = 0;
        } else {
            level++;
            stalls++;
        }
        windowStart = now;
        startPending = pending;
        return level != before;
    }

    int level() {
        return level;
    }

    int stalls() {
        return stalls;
    }

    /** Whether as many stall windows in a row as allowed have passed. */
    boolean exhausted() {
        return maxWindows > 0 && level >= maxWindows;
    }
}
