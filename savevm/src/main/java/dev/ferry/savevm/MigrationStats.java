package dev.ferry.savevm;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * A snapshot of a source migration, everything {@code info migrate} shows.
 *
 * @param state where the migration is
 * @param setupTime from start until the first iteration (header, config, live setup)
 * @param totalTime from start until now, or until the end
 * @param transferredBytes all bytes written to the channel
 * @param remainingBytes the sum of the live sections' last pending estimates
 * @param throughput bytes per second the channel took over the last measuring window
 * @param dirtyRate bytes per second the live sections' pending grew by, beside what was sent, over the last
 *     stall window (judged on exact figures: the dirty log harvested)
 * @param iterations passes over the live sections so far
 * @param expectedDowntime the pause if it switched now: the remaining bytes, plus what the destination
 *     does not have in hand yet (in flight, not read back, not flushed), at the measured bandwidth,
 *     plus the destination's measured round trip
 * @param actualDowntime from pause to completion, once known
 * @param pausedAt when the guest was paused for the switch (wall clock), once it was: with the
 *     destination's start time, the guest's whole pause
 * @param maxBandwidth the current limit in bytes per second ({@link Long#MAX_VALUE}: none)
 * @param downtimeLimit the current downtime limit
 * @param throttleLevel the level last given to {@link LiveSection#notConverging}; 0 while the copy
 *     converges on its own or auto-converge is off
 * @param throttleReason why the copy was judged not to converge (the dirty rate against the rate
 *     sent), with a note when auto-converge is off and nothing was throttled; empty while it converges
 * @param downtimeNote while the copy runs, why the downtime limit cannot be met if it cannot (the
 *     destination's round trip alone exceeds it); once completed over the limit: by how much and where
 *     the pause went (the source's pause, the live sections' rest, state sections and EOF, the
 *     destination's checks); empty otherwise
 * @param frameChecksum what the source seals its frames with and why: CRC32C unless the destination
 *     offered XXH3-64 and CRC32C measured slow on this CPU (with the rate measured)
 * @param sections per live section
 */
public record MigrationStats(
        MigrationState state,
        Duration setupTime,
        Duration totalTime,
        long transferredBytes,
        long remainingBytes,
        long throughput,
        long dirtyRate,
        int iterations,
        Duration expectedDowntime,
        Optional<Duration> actualDowntime,
        Optional<Instant> pausedAt,
        long maxBandwidth,
        Duration downtimeLimit,
        int throttleLevel,
        String throttleReason,
        String downtimeNote,
        String frameChecksum,
        List<SectionStats> sections) {

    /** Copies the section list. */
    public MigrationStats {
        sections = List.copyOf(sections);
    }
}
