package dev.ferry.savevm;

import java.io.IOException;
import java.util.Objects;

/**
 * A migration failed; {@link #phase()} says where. The message is one line naming the thing at
 * fault (section, frame, field) and the problem. Sections throw it too, e.g. to refuse a version.
 */
public class MigrationException extends IOException {

    private static final long serialVersionUID = 1L;

    private final Phase phase;

    public MigrationException(Phase phase, String message) {
        super(message);
        this.phase = Objects.requireNonNull(phase, "phase");
    }

    public MigrationException(Phase phase, String message, Throwable cause) {
        super(message, cause);
        this.phase = Objects.requireNonNull(phase, "phase");
    }

    /** Where the migration was when it failed. */
    public Phase phase() {
        return phase;
    }
}
