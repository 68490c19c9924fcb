package dev.ferry.monitor.hmp;

import dev.ferry.savevm.MigrationStats;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A migration as QEMU reports it ({@code info migrate}, QMP {@code query-migrate}): a source's
 * outgoing migration with its figures, or a destination's incoming one with its status and time.
 *
 * @param status QEMU's status word: none, setup, active, device, completed, failed, cancelled
 * @param failure why it failed, once it did
 * @param totalTime since it started, or its whole length once it ended; empty while none
 * @param socketAddress where a destination waits for its source, while it does
 * @param started a destination's, once its VM runs
 * @param source the outgoing migration's figures; empty on a destination
 */
public record MigrationInfo(String status, Optional<String> failure, Optional<Duration> totalTime,
                            Optional<String> socketAddress, Optional<IncomingStart> started,
                            Optional<SourceFigures> source) {

    /**
     * A destination's VM started after its incoming migration.
     *
     * @param afterAck from its ACK until the vCPUs were let go: the end of the guest's pause that
     *     the source's downtime (which ends when the ACK reaches it) leaves out
     * @param at when they were let go (wall clock): with the time the source paused the guest, on
     *     one clock, the guest's whole pause
     */
    public record IncomingStart(Duration afterAck, Instant at) {
    }

    /** Bytes of RAM or disk: sent, still to send, and all there is. */
    public record Transfer(long transferred, long remaining, long total) {
    }

    /**
     * @param downtime the pause at the switch, once known
     * @param expectedDowntime while it runs: the pause if it switched now
     * @param disk empty without a storage copy
     * @param dirtySyncCount passes over the dirty memory and disks
     * @param stats everything the driver counts, for Ferry's own lines
     */
    public record SourceFigures(Duration setupTime, Optional<Duration> downtime, Optional<Duration> expectedDowntime,
                                Transfer ram, Optional<Transfer> disk, long dirtySyncCount, MigrationStats stats) {

        /** QEMU's throughput unit: megabits per second. */
        public double mbps() {
            return stats.throughput() * 8 / 1e6;
        }
    }

    public MigrationInfo {
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(failure, "failure");
        Objects.requireNonNull(totalTime, "totalTime");
        Objects.requireNonNull(socketAddress, "socketAddress");
        Objects.requireNonNull(started, "started");
        Objects.requireNonNull(source, "source");
    }

    /** No migration ran or waits here. */
    public static MigrationInfo none() {
        return new MigrationInfo("none", Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());
    }
}
