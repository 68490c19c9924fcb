package dev.ferry.savevm.source;

import java.time.Duration;

/**
 * Judges convergence once per stall window, from rates: over the window, the bytes that became
 * pending again (dirtied) are set against the bytes sent. A window in which the guest dirtied at
 * least half of what the link carried is a stall (QEMU's auto-converge uses the same half): at
 * that rate pending shrinks at less than half the measured bandwidth, and a slow link with a
 * large disk, whose pending shrinks by a small share per second while the guest barely writes,
 * is not mistaken for one. A stall window that follows another raises the level by one, so a
 * single burst of writes does not throttle the guest. The level never falls during a migration (as QEMU's
 * auto-converge): dropping it lets the guest race ahead again and the copy oscillates.
 */
final class Convergence {

    private final long windowNanos;
    private final int maxWindows;
    private long windowStart = -1;
    private long startPending;
    private long startSent;
    private boolean lastStalled;
    private int level;
    private String reason = "";
    private long dirtyRate;

    Convergence(Duration window, int maxWindows) {
        this.windowNanos = window.toNanos();
        this.maxWindows = maxWindows;
    }

    /** Whether the next {@link #observe} at {@code now} starts or ends a window, so wants exact figures. */
    boolean due(long now) {
        return windowStart < 0 || now - windowStart >= windowNanos;
    }

    /**
     * Records {@code pending} and the total bytes {@code sent} so far at {@code now}; true if a
     * window just ended in a second stall in a row (the level rose).
     */
    boolean observe(long now, long pending, long sent) {
        if (windowStart < 0) {
            restart(now, pending, sent);
            return false;
        }
        if (!due(now)) {
            return false;
        }
        long carried = sent - startSent;
        long dirtied = carried - (startPending - pending);
        boolean stalled = pending > 0 && 2 * dirtied >= carried;
        boolean rose = stalled && lastStalled;
        double seconds = (now - windowStart) / 1e9;
        dirtyRate = (long) (Math.max(0, dirtied) / seconds);
        if (rose) {
            level++;
            reason = String.format("the guest dirtied %s/s while %s/s was sent", rate(dirtied, seconds), rate(carried, seconds));
        }
        lastStalled = stalled;
        restart(now, pending, sent);
        return rose;
    }

    /** Starts afresh after a pause for a broken link: a window spanning it says nothing about the guest. */
    void forgetWindow() {
        windowStart = -1;
        lastStalled = false;
    }

    private void restart(long now, long pending, long sent) {
        windowStart = now;
        startPending = pending;
        startSent = sent;
    }

    private static String rate(long bytes, double seconds) {
        return String.format("%.1f MB", Math.max(0, bytes) / seconds / 1e6);
    }

    /** Bytes per second the guest dirtied over the last window (pending's growth beside what was sent). */
    long dirtyRate() {
        return dirtyRate;
    }

    int level() {
        return level;
    }

    /** Why the level last rose, in words for {@code info migrate}; empty while it never did. */
    String reason() {
        return reason;
    }

    /** Whether as many stall levels as allowed have been reached. */
    boolean exhausted() {
        return maxWindows > 0 && level >= maxWindows;
    }
}
