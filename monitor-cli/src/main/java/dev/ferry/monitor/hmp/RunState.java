package dev.ferry.monitor.hmp;

import java.util.Locale;

/** What {@code info status} reports, in QEMU's words. */
public enum RunState {
    RUNNING,
    PAUSED,
    /** Waiting for or receiving an incoming migration; not started. */
    INMIGRATE,
    /** Migrated away: paused for good on this side. */
    POSTMIGRATE,
    SHUTDOWN;

    /** QEMU's status line: {@code running}, {@code paused}, {@code paused (postmigrate)}. */
    public String describe() {
        return switch (this) {
            case RUNNING -> "running";
            case PAUSED -> "paused";
            case INMIGRATE -> "paused (inmigrate)";
            case POSTMIGRATE -> "paused (postmigrate)";
            case SHUTDOWN -> "shutdown";
        };
    }

    public String word() {
        return name().toLowerCase(Locale.ROOT);
    }
}
