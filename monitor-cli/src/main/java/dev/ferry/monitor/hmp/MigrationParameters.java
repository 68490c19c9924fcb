package dev.ferry.monitor.hmp;

import dev.ferry.savevm.FrameChecksumMode;
import java.time.Duration;
import java.util.Objects;

/**
 * QEMU's migration parameters that Ferry has, settable before and during a migration.
 *
 * @param maxBandwidth bytes per second; {@link Long#MAX_VALUE} for no limit
 * @param downtimeLimit the longest pause at the switch
 * @param blockIncremental with the {@code block} capability: copy only the disks' top overlay ({@code -i})
 * @param frameChecksum Ferry's own: how the frames' checksum is picked ({@code auto}, {@code crc32c}, {@code xxh3})
 */
public record MigrationParameters(long maxBandwidth, Duration downtimeLimit, boolean blockIncremental,
                                  FrameChecksumMode frameChecksum) {

    /** The longest downtime limit QEMU takes (2000 s). */
    public static final Duration MAX_DOWNTIME = Duration.ofSeconds(2000);

    public MigrationParameters {
        Objects.requireNonNull(frameChecksum, "frameChecksum");
        if (maxBandwidth <= 0) {
            throw new IllegalArgumentException("max-bandwidth must be more than 0");
        }
        if (downtimeLimit.isNegative() || downtimeLimit.isZero() || downtimeLimit.compareTo(MAX_DOWNTIME) > 0) {
            throw new IllegalArgumentException("downtime-limit must be more than 0 and at most " + MAX_DOWNTIME.toMillis() + " ms");
        }
    }

    public MigrationParameters withMaxBandwidth(long bytesPerSecond) {
        return new MigrationParameters(bytesPerSecond, downtimeLimit, blockIncremental, frameChecksum);
    }

    public MigrationParameters withDowntimeLimit(Duration limit) {
        return new MigrationParameters(maxBandwidth, limit, blockIncremental, frameChecksum);
    }

    public MigrationParameters withBlockIncremental(boolean incremental) {
        return new MigrationParameters(maxBandwidth, downtimeLimit, incremental, frameChecksum);
    }

    public MigrationParameters withFrameChecksum(FrameChecksumMode mode) {
        return new MigrationParameters(maxBandwidth, downtimeLimit, blockIncremental, mode);
    }
}
