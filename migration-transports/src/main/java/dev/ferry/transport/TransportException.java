package dev.ferry.transport;

import java.io.IOException;
import java.util.Objects;

/** A transport failure; the message starts with the URI it concerns and then says what went wrong. */
public final class TransportException extends IOException {

    private static final long serialVersionUID = 1L;

    private final transient MigrationUri uri;

    /**
     * A failure of the transport for {@code uri}.
     *
     * @param uri     the transport's URI, which starts the message
     * @param problem what went wrong, one line
     */
    public TransportException(MigrationUri uri, String problem) {
        this(uri, problem, null);
    }

    /**
     * A failure of the transport for {@code uri}, caused by {@code cause}.
     *
     * @param uri     the transport's URI, which starts the message
     * @param problem what went wrong, one line
     * @param cause   the underlying failure
     */
    public TransportException(MigrationUri uri, String problem, Throwable cause) {
        super(Objects.requireNonNull(uri, "uri") + ": " + problem, cause);
        this.uri = uri;
    }

    /**
     * The URI of the failing transport.
     *
     * @return the URI
     */
    public MigrationUri uri() {
        return uri;
    }
}
