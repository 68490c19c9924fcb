package dev.ferry.blockmig;

import java.io.IOException;

/** A block migration that cannot go on; the message names the drive or file and the problem. */
public final class BlockMigrationException extends IOException {

    private static final long serialVersionUID = 1L;

    /**
     * A refusal or failure described by {@code message}.
     *
     * @param message one line naming the drive or file and the problem
     */
    public BlockMigrationException(String message) {
        super(message);
    }

    /**
     * A failure caused by another exception.
     *
     * @param message one line naming the drive or file and the problem
     * @param cause the underlying failure
     */
    public BlockMigrationException(String message, Throwable cause) {
        super(message, cause);
    }
}
