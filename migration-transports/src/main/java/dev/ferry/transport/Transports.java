package dev.ferry.transport;

import java.io.IOException;
import java.time.Duration;

/**
 * Opens migration channels by URI: {@link #connect} for the outgoing side of {@code migrate},
 * {@link #listen} for {@code -incoming}.
 *
 * <p>The four schemes are a closed set fixed by the URI grammar, so a sealed switch over
 * {@link MigrationUri} picks the transport: a ServiceLoader SPI would add a registry and a
 * failure mode (a missing provider) without letting anything new in, since a new scheme needs a
 * new {@code MigrationUri} record anyway.
 */
public final class Transports {

    private Transports() {
    }

    /**
     * Parses {@code uri} and opens the outgoing channel; see {@link #connect(MigrationUri, Duration)}.
     *
     * @throws IllegalArgumentException when {@code uri} is malformed (the message says how)
     */
    public static MigrationChannel connect(String uri, Duration timeout) throws IOException {
        return connect(MigrationUri.parse(uri), timeout);
    }

    /**
     * Opens the outgoing channel: connects a socket within {@code timeout}, takes over an open
     * descriptor, or starts the command whose stdin receives the stream.
     *
     * @throws TransportException naming the URI: refused, timed out, no such socket file, descriptor not open, …
     */
    public static MigrationChannel connect(MigrationUri uri, Duration timeout) throws IOException {
        return switch (uri) {
            case MigrationUri.Tcp tcp -> new SocketMigrationChannel(tcp, Sockets.connect(tcp, timeout));
            case MigrationUri.Unix unix -> new SocketMigrationChannel(unix, Sockets.connect(unix, timeout));
            case MigrationUri.Fd fd -> FdChannel.open(fd, fd.fd());
            case MigrationUri.Exec exec -> ExecChannel.start(exec, true);
        };
    }

    /** Parses {@code uri} and starts listening; see {@link #listen(MigrationUri)}. */
    public static MigrationListener listen(String uri) throws IOException {
        return listen(MigrationUri.parse(uri));
    }

    /**
     * Prepares the incoming side: binds the socket now (so {@link MigrationListener#boundUri()} is
     * known before the sender starts), checks a descriptor is open now; an exec command starts at accept.
     */
    public static MigrationListener listen(MigrationUri uri) throws IOException {
        return switch (uri) {
            case MigrationUri.Tcp tcp -> SocketListener.open(tcp);
            case MigrationUri.Unix unix -> SocketListener.open(unix);
            case MigrationUri.Fd fd -> {
                FdChannel.requireOpen(fd, fd.fd());
                yield new OneShotListener(fd, () -> FdChannel.open(fd, fd.fd()));
            }
            case MigrationUri.Exec exec -> new OneShotListener(exec, () -> ExecChannel.start(exec, false));
        };
    }
}
