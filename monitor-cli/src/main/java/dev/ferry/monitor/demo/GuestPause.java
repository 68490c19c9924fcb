package dev.ferry.monitor.demo;

import dev.ferry.monitor.hmp.MigrationInfo;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;

/**
 * How long the demo's guest stood still at the switch. Both VMs run on this host, so the guest's
 * pause is measured on one clock: from the moment the source paused it to the moment the
 * destination let its vCPUs go. The two sides' own figures summed (the source's downtime, then
 * the destination's start after its ACK) do not give it: over a link with a return path the
 * source's downtime ends only when the ACK reaches it, so the sum counts the ACK's trip twice and
 * the source's wake-up to read it; over a one-way link (exec) the source's ends when its last byte
 * is written, so the sum leaves out the destination's checks. The sum stands in where a side did
 * not say when, or the clock went back between the two readings.
 *
 * @param millis the pause: exact when {@code exact}, else the sum
 * @param exact whether measured on one clock
 * @param sourceMillis the source's downtime; -1 if unknown
 * @param startAfterAckMillis the destination's start after its ACK; -1 if unknown
 * @param sumMillis both sides' figures summed (the source's alone without the destination's)
 */
record GuestPause(long millis, boolean exact, long sourceMillis, long startAfterAckMillis, long sumMillis) {

    static GuestPause of(MigrationFigures figures, Optional<MigrationInfo.IncomingStart> start) {
        long source = figures.downtimeMillis();
        long afterAck = start.map(s -> s.afterAck().toMillis()).orElse(-1L);
        long sum = source < 0 || afterAck < 0 ? source : source + afterAck;
        Optional<Long> measured = figures.pausedAt().flatMap(paused -> start.map(s -> Duration.between(paused, s.at())))
                .filter(pause -> !pause.isNegative())
                .map(pause -> (pause.toNanos() + 500_000) / 1_000_000);
        return new GuestPause(measured.orElse(sum), measured.isPresent(), source, afterAck, sum);
    }

    /** For the demo's report. */
    String describe() {
        if (sourceMillis < 0) {
            return "n/a";
        }
        if (startAfterAckMillis < 0) {
            return sourceMillis + " ms (the source's, until the destination's ACK)";
        }
        if (!exact) {
            return String.format(Locale.ROOT, "%d ms (the source's %d ms, then %d ms until the destination's vCPUs started"
                    + " after its ACK; the clock did not give the pause itself)", millis, sourceMillis, startAfterAckMillis);
        }
        return String.format(Locale.ROOT, "%d ms (from the source's pause to the destination's start, on this host's clock;"
                + " the source counted %d ms, the destination started %d ms after its ACK)", millis, sourceMillis,
                startAfterAckMillis);
    }
}
