package dev.ferry.savevm;

import java.time.Duration;

/**
 * What a destination received: stream bytes, frames, sections loaded and the time it took.
 *
 * @param bytes stream bytes read, framing included
 * @param frames frames read
 * @param sections sections loaded
 * @param elapsed from the call to {@link IncomingMigration#receive} until the acknowledgement was sent
 */
public record IncomingStats(long bytes, long frames, int sections, Duration elapsed) {
}
