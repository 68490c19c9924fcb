package dev.ferry.savevm.stream;

import java.util.concurrent.locks.LockSupport;

/**
 * The bandwidth limit: a token bucket holding at most 50 ms of credit, so a burst after an idle
 * spell stays short. The rate may change at any time from another thread; a wait re-reads it
 * every few milliseconds.
 */
public final class TokenBucket {

    /** No limit. */
    public static final long UNLIMITED = Long.MAX_VALUE;

    private static final long BURST_NANOS = 50_000_000L;
    private static final long MAX_SLEEP_NANOS = 10_000_000L;

    private volatile long bytesPerSecond;
    private double tokens;
    private long lastNanos = System.nanoTime();

    public TokenBucket(long bytesPerSecond) {
        setRate(bytesPerSecond);
    }

    public void setRate(long bytesPerSecond) {
        if (bytesPerSecond <= 0) {
            throw new IllegalArgumentException("bandwidth limit must be positive, got " + bytesPerSecond);
        }
        this.bytesPerSecond = bytesPerSecond;
    }

    public long rate() {
        return bytesPerSecond;
    }

    /**
     * Takes {@code bytes} of credit, waiting until the debt is paid.
     *
     * @param abort polled while waiting; its exception ends the wait
     */
    public <E extends Exception> void acquire(long bytes, Check<E> abort) throws E {
        refill();
        tokens -= bytes;
        while (tokens < 0) {
            abort.check();
            long rate = bytesPerSecond;
            if (rate == UNLIMITED) {
                tokens = 0;
                return;
            }
            LockSupport.parkNanos(Math.min(MAX_SLEEP_NANOS, (long) (-tokens * 1e9 / rate) + 1));
            refill();
        }
    }

    private void refill() {
        long now = System.nanoTime();
        long rate = bytesPerSecond;
        if (rate == UNLIMITED) {
            tokens = 0;
        } else {
            double burst = rate * (BURST_NANOS / 1e9);
            tokens = Math.min(burst, tokens + (now - lastNanos) * (rate / 1e9));
        }
        lastNanos = now;
    }

    /** Something polled during a wait, e.g. a cancel flag. */
    @FunctionalInterface
    public interface Check<E extends Exception> {
        void check() throws E;
    }
}
