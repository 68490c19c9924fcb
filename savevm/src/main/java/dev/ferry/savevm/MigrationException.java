package dev.ferry.savevm;

import java.io.IOException;
import java.util.Objects;

/**
 * A migration failed; {@link #phase()} says where. The message is one line naming the thing at
 * fault (section, frame, field) and the problem. Sections throw it too, e.g. to refuse a version.
 */
public class MigrationException extends IOException {

    private static final long serialVersionUID = 1L;

    /** Where the migration was when it failed. */
    private final Phase phase;

    /**
     * A failure in {@code phase}.
     *
     * @param phase where the migration was
     * @param message one line naming the thing at fault and the problem
     */
    public MigrationException(Phase phase, String message) {
        super(message);
        this.phase = Objects.requireNonNull(phase, "phase");
    }

    /**
     * A failure in {@code phase} caused by another exception.
     *
     * @param phase where the migration was
     * @param message one line naming the thing at fault and the problem
     * @param cause the underlying failure
     */
    public MigrationException(Phase phase, String message, Throwable cause) {
        super(message, cause);
        this.phase = Objects.requireNonNull(phase, "phase");
    }

    /**
     * Where the migration was when it failed.
     *
     * @return the phase, never null
     */
    public Phase phase() {
        return phase;
    }
}
