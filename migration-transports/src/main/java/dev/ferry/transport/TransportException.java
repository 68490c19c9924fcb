package dev.ferry.transport;

import java.io.IOException;
import java.util.Objects;

/** A transport failure; the message starts with the URI it concerns and then says what went wrong. */
public final class TransportException extends IOException {

    private static final long serialVersionUID = 1L;

    private final transient MigrationUri uri;

    public TransportException(MigrationUri uri, String problem) {
        this(uri, problem, null);
    }

    public TransportException(MigrationUri uri, String problem, Throwable cause) {
        super(Objects.requireNonNull(uri, "uri") + ": " + problem, cause);
        this.uri = uri;
    }

    /** The URI of the failing transport. */
    public MigrationUri uri() {
        return uri;
    }
}
