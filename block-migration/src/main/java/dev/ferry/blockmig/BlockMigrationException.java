package dev.ferry.blockmig;

import java.io.IOException;

/** A block migration that cannot go on; the message names the drive or file and the problem. */
public final class BlockMigrationException extends IOException {

    private static final long serialVersionUID = 1L;

    public BlockMigrationException(String message) {
        super(message);
    }

    public BlockMigrationException(String message, Throwable cause) {
        super(message, cause);
    }
}
