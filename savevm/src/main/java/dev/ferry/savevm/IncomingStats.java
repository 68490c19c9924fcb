package dev.ferry.savevm;

import java.time.Duration;

/** What a destination received: stream bytes, frames, sections loaded and the time it took. */
public record IncomingStats(long bytes, long frames, int sections, Duration elapsed) {
}
