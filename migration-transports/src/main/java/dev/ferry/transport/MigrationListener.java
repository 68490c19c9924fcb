package dev.ferry.transport;

import java.io.IOException;
import java.time.Duration;

/**
 * The incoming side of a transport: listens on (or holds) the URI's endpoint and hands over the
 * one channel a migration arrives on. For {@code fd:} and {@code exec:} there is nothing to wait
 * for and {@link #accept} opens the channel at once.
 */
public interface MigrationListener extends AutoCloseable {

    /**
     * The URI as given to {@link Transports#listen}.
     *
     * @return the URI this listener was opened for
     */
    MigrationUri uri();

    /**
     * The URI a sender should use: for {@code tcp:HOST:0} it carries the port the system chose.
     *
     * @return the URI to connect to
     */
    MigrationUri boundUri();

    /**
     * Waits for the one incoming connection, then stops listening (for unix, the socket file is removed).
     *
     * @param timeout how long to wait for the sender
     * @return the incoming stream's channel
     * @throws TransportException when nothing connects within {@code timeout}, or the listener was closed
     */
    MigrationChannel accept(Duration timeout) throws IOException;

    /** Stops listening and removes a unix socket file; a blocked {@link #accept} fails at once. */
    @Override
    void close() throws IOException;
}
