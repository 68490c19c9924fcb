package dev.ferry.savevm.stream;

import dev.ferry.savevm.MigrationException;
import dev.ferry.savevm.Phase;
import java.io.IOException;

/**
 * The stream ended or was cut short inside a frame: the peer went away or the connection dropped.
 * A resumable migration waits for a new link after it instead of failing.
 */
public final class LinkBrokenException extends MigrationException {

    private static final long serialVersionUID = 1L;

    LinkBrokenException(Phase phase, String message) {
        super(phase, message);
    }

    /**
     * Whether {@code e} says the link broke (cut, reset, ended early), as opposed to a refusal, a
     * corrupt frame, a cancel or this side closing its own channel.
     *
     * @param e a failure of the migration
     * @return true for a broken link
     */
    public static boolean isBreak(Throwable e) {
        return e instanceof LinkBrokenException
                || (e instanceof IOException && !(e instanceof MigrationException) && !(e instanceof ChannelClosedException));
    }
}
