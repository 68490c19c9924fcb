package dev.ferry.monitor.demo;

import java.time.Duration;

/**
 * How long to wait for a child process on this host. {@code FERRY_TIMEOUT_SCALE=N} multiplies
 * every start-up and outcome timeout of the demo and the ITs: in a nested VM (tools/kvm-vm/run
 * sets 10) JVMs start 5-30 times slower, and a native timeout would fail a healthy run.
 */
public final class Patience {

    private static final int SCALE = scale(System.getenv("FERRY_TIMEOUT_SCALE"));

    private Patience() {
    }

    /** {@code timeout} times the scale. */
    public static Duration of(Duration timeout) {
        return timeout.multipliedBy(SCALE);
    }

    /** {@code seconds} times the scale. */
    public static Duration seconds(long seconds) {
        return of(Duration.ofSeconds(seconds));
    }

    static int scale(String value) {
        if (value == null || value.isBlank()) {
            return 1;
        }
        try {
            int scale = Integer.parseInt(value.strip());
            if (scale >= 1 && scale <= 100) {
                return scale;
            }
        } catch (NumberFormatException e) {
            // falls through to the one message below
        }
        throw new IllegalArgumentException("FERRY_TIMEOUT_SCALE='" + value + "' is not a whole number from 1 to 100");
    }
}
