package dev.ferry.savevm;

import java.time.Duration;

/**
 * What a destination received: stream bytes, frames, sections loaded and the time it took.
 *
 * @param bytes stream bytes read, framing included
 * @param frames frames read
 * @param sections sections loaded
 * @param elapsed from the call to {@link IncomingMigration#receive} until the acknowledgement was sent
 * @param acknowledgedNanos {@link System#nanoTime()} when the acknowledgement was sent: the source's
 *         downtime ends there, the guest's only once the caller started the VM
 */
public record IncomingStats(long bytes, long frames, int sections, Duration elapsed, long acknowledgedNanos) {
}
