package dev.ferry.savevm;

import java.time.Duration;
import java.util.Objects;

/**
 * How a source migration runs. Bandwidth and downtime limits can also be changed while it runs
 * ({@link MigrationDriver#setMaxBandwidth}, {@link MigrationDriver#setDowntimeLimit}).
 *
 * @param maxBandwidth bytes per second the stream may use; {@link Long#MAX_VALUE} for no limit
 * @param downtimeLimit the longest pause the switch may take at the measured bandwidth
 * @param ackTimeout how long to wait for the destination's acknowledgement after the end of stream
 * @param stallWindow how often convergence is judged: a window in which the live sections
 *     dirtied at least half of what was sent is a stall; a stall that follows another raises the
 *     throttle level, given to the sections through {@link LiveSection#notConverging}
 * @param maxStallWindows throttle levels after which the migration fails; 0 for no limit
 * @param autoConverge whether the sections are told to throttle the guest when the copy does not
 *     converge (QEMU's {@code auto-converge} capability); off, stalls are only counted and reported
 * @param frameChecksum how the frames' checksum is picked once the destination offers a choice
 */
public record MigrationOptions(
        long maxBandwidth, Duration downtimeLimit, Duration ackTimeout, Duration stallWindow, int maxStallWindows,
        boolean autoConverge, FrameChecksumMode frameChecksum) {

    /**
     * Unlimited bandwidth, 300 ms downtime, 30 s for the acknowledgement, 1 s stall windows, no
     * stall limit, auto-converge on, the frame checksum picked by measurement.
     *
     * @return the default options
     */
    public static MigrationOptions defaults() {
        return new MigrationOptions(Long.MAX_VALUE, Duration.ofMillis(300), Duration.ofSeconds(30), Duration.ofSeconds(1), 0,
                true, FrameChecksumMode.AUTO);
    }

    /**
     * Checks the components.
     *
     * @throws IllegalArgumentException if the bandwidth is not positive, a duration is negative, the stall
     *         window zero or {@code maxStallWindows} negative
     */
    public MigrationOptions {
        Objects.requireNonNull(downtimeLimit, "downtimeLimit");
        Objects.requireNonNull(ackTimeout, "ackTimeout");
        Objects.requireNonNull(stallWindow, "stallWindow");
        Objects.requireNonNull(frameChecksum, "frameChecksum");
        if (maxBandwidth <= 0) {
            throw new IllegalArgumentException("maxBandwidth must be positive, got " + maxBandwidth);
        }
        if (downtimeLimit.isNegative() || ackTimeout.isNegative() || stallWindow.isNegative() || stallWindow.isZero()) {
            throw new IllegalArgumentException("downtimeLimit, ackTimeout and stallWindow must not be negative, stallWindow not zero");
        }
        if (maxStallWindows < 0) {
            throw new IllegalArgumentException("maxStallWindows must not be negative, got " + maxStallWindows);
        }
    }

    /**
     * A copy with another bandwidth limit.
     *
     * @param bytesPerSecond positive; {@link Long#MAX_VALUE} for none
     * @return the new options
     */
    public MigrationOptions withMaxBandwidth(long bytesPerSecond) {
        return new MigrationOptions(bytesPerSecond, downtimeLimit, ackTimeout, stallWindow, maxStallWindows, autoConverge, frameChecksum);
    }

    /**
     * A copy with another downtime limit.
     *
     * @param limit not negative
     * @return the new options
     */
    public MigrationOptions withDowntimeLimit(Duration limit) {
        return new MigrationOptions(maxBandwidth, limit, ackTimeout, stallWindow, maxStallWindows, autoConverge, frameChecksum);
    }

    /**
     * A copy with another acknowledgement timeout.
     *
     * @param timeout not negative
     * @return the new options
     */
    public MigrationOptions withAckTimeout(Duration timeout) {
        return new MigrationOptions(maxBandwidth, downtimeLimit, timeout, stallWindow, maxStallWindows, autoConverge, frameChecksum);
    }

    /**
     * A copy with other convergence windows.
     *
     * @param window the stall window, positive
     * @param maxWindows throttle levels after which the migration fails; 0 for no limit
     * @return the new options
     */
    public MigrationOptions withStallWindow(Duration window, int maxWindows) {
        return new MigrationOptions(maxBandwidth, downtimeLimit, ackTimeout, window, maxWindows, autoConverge, frameChecksum);
    }

    /**
     * A copy with auto-converge on or off.
     *
     * @param on whether stalls throttle the guest
     * @return the new options
     */
    public MigrationOptions withAutoConverge(boolean on) {
        return new MigrationOptions(maxBandwidth, downtimeLimit, ackTimeout, stallWindow, maxStallWindows, on, frameChecksum);
    }

    /**
     * A copy with another way to pick the frame checksum.
     *
     * @param mode by measurement, or the one to use
     * @return the new options
     */
    public MigrationOptions withFrameChecksum(FrameChecksumMode mode) {
        return new MigrationOptions(maxBandwidth, downtimeLimit, ackTimeout, stallWindow, maxStallWindows, autoConverge, mode);
    }
}
