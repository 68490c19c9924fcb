package dev.ferry.blockmig;


/**
 * Slows a guest that dirties its disk faster than the copy sends it. At level {@code p}% each
 * newly dirtied byte costs the writer {@code p / (100 - p)} times the time the copy needs to send
 * it, so at 99% the guest dirties at most 1/99 of the send rate and the copy must converge.
 * Runs inside the write observer, on the guest's I/O thread; {@link #release} wakes a delayed
 * writer at once, so pausing the guest never waits out a delay.
 */
final class WriteThrottle {

    private static final int[] LEVELS = {0, 20, 40, 60, 80, 90, 95, 99};
    private volatile int step;
    private volatile double sendBytesPerNano = 1.0;
    private volatile boolean released;

    /** The current level in percent; 0 when the guest runs free. */
    int percent() {
        return LEVELS[step];
    }

    /**
     * Throttles at least as hard as the driver's {@code level}-th stall asks: level 1 is 20%,
     * each level one step more, up to 99%. Never lowers the throttle ({@link #lift} does).
     */
    void raiseTo(int level) {
        int wanted = Math.clamp(level, 0, LEVELS.length - 1);
        if (wanted > step) {
            step = wanted;
        }
    }

    void sendRate(double bytesPerSecond) {
        if (bytesPerSecond > 0) {
            sendBytesPerNano = bytesPerSecond / 1e9;
        }
    }

    /** Called by the writer after it dirtied {@code bytes} that were clean; may sleep. */
    void dirtied(long bytes) {
        int p = percent();
        if (p == 0 || released) {
            return;
        }
        long deadline = System.nanoTime() + (long) (bytes / sendBytesPerNano * p / (100 - p));
        synchronized (this) {
            for (long left = deadline - System.nanoTime(); left > 0 && !released && step > 0;
                    left = deadline - System.nanoTime()) {
                try {
                    wait(left / 1_000_000, (int) (left % 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /** Back to level 0 until {@link #raiseTo} again, and lets a delayed writer go: the copy is on hold. */
    synchronized void lift() {
        step = 0;
        notifyAll();
    }

    /** Lets every writer go, now and from now on: the copy is over. */
    synchronized void release() {
        released = true;
        notifyAll();
    }
}
