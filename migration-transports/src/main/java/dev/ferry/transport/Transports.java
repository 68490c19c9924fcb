package dev.ferry.transport;

import java.io.IOException;
import java.time.Duration;
import java.util.Optional;

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
     * @param uri     where the stream goes, e.g. {@code tcp:host:4444}
     * @param timeout how long a socket may take to connect
     * @return the outgoing channel
     * @throws IllegalArgumentException when {@code uri} is malformed (the message says how)
     * @throws IOException              as {@link #connect(MigrationUri, Duration)}
     */
    public static MigrationChannel connect(String uri, Duration timeout) throws IOException {
        return connect(MigrationUri.parse(uri), timeout);
    }

    /**
     * Opens the outgoing channel: connects a socket within {@code timeout}, takes over an open
     * descriptor, or starts the command whose stdin receives the stream.
     *
     * @param uri     where the stream goes
     * @param timeout how long a socket may take to connect
     * @return the outgoing channel
     * @throws TransportException naming the URI: refused, timed out, no such socket file, descriptor not open, …
     */
    public static MigrationChannel connect(MigrationUri uri, Duration timeout) throws IOException {
        return connect(uri, timeout, Optional.empty());
    }

    /**
     * Opens the outgoing channel; with {@code tls} (tcp and unix only) it completes a verified TLS
     * handshake and the destination's admission before returning.
     *
     * @param uri where the destination listens
     * @param timeout how long connecting (and the TLS handshake) may take
     * @param tls the credentials to present and verify with; empty for a plain stream
     * @return the connected channel, ready for the migration stream
     * @throws TransportException naming the URI, and for TLS which side refused what
     */
    public static MigrationChannel connect(MigrationUri uri, Duration timeout, Optional<TlsCredentials> tls) throws IOException {
        return switch (uri) {
            case MigrationUri.Tcp tcp -> socketChannel(tls, false).channel(tcp, Sockets.connect(tcp, timeout));
            case MigrationUri.Unix unix -> socketChannel(tls, false).channel(unix, Sockets.connect(unix, timeout));
            case MigrationUri.Fd fd when tls.isPresent() -> throw tlsUnsupported(fd);
            case MigrationUri.Exec exec when tls.isPresent() -> throw tlsUnsupported(exec);
            case MigrationUri.Fd fd -> FdChannel.open(fd, fd.fd());
            case MigrationUri.Exec exec -> ExecChannel.start(exec, true);
        };
    }

    /**
     * Parses {@code uri} and starts listening; see {@link #listen(MigrationUri)}.
     *
     * @param uri where the stream comes from, e.g. {@code tcp:0:4444}
     * @return the listener
     * @throws IllegalArgumentException when {@code uri} is malformed (the message says how)
     * @throws IOException              as {@link #listen(MigrationUri)}
     */
    public static MigrationListener listen(String uri) throws IOException {
        return listen(MigrationUri.parse(uri));
    }

    /**
     * Prepares the incoming side: binds the socket now (so {@link MigrationListener#boundUri()} is
     * known before the sender starts), checks a descriptor is open now; an exec command starts at accept.
     *
     * @param uri where the stream comes from
     * @return the listener
     * @throws TransportException naming the URI: cannot listen (address in use, …), a file that is not a socket, descriptor not open
     */
    public static MigrationListener listen(MigrationUri uri) throws IOException {
        return listen(uri, Optional.empty());
    }

    /**
     * Prepares the incoming side; with {@code tls} (tcp and unix only) {@link MigrationListener#accept}
     * hands over the channel only after the source passed the TLS handshake, and fails naming why not.
     *
     * @param uri where to listen ({@code tcp:HOST:0} picks a free port: see {@link MigrationListener#boundUri})
     * @param tls the credentials sources must be verified against; empty for plain streams
     * @return the listener, bound
     * @throws IOException if the URI cannot be listened on, naming it
     */
    public static MigrationListener listen(MigrationUri uri, Optional<TlsCredentials> tls) throws IOException {
        return switch (uri) {
            case MigrationUri.Tcp tcp -> SocketListener.open(tcp, socketChannel(tls, true));
            case MigrationUri.Unix unix -> SocketListener.open(unix, socketChannel(tls, true));
            case MigrationUri.Fd fd when tls.isPresent() -> throw tlsUnsupported(fd);
            case MigrationUri.Exec exec when tls.isPresent() -> throw tlsUnsupported(exec);
            case MigrationUri.Fd fd -> {
                FdChannel.requireOpen(fd, fd.fd());
                yield new OneShotListener(fd, () -> FdChannel.open(fd, fd.fd()));
            }
            case MigrationUri.Exec exec -> new OneShotListener(exec, () -> ExecChannel.start(exec, false));
        };
    }

    /** A connected socket as it is, or as the client or server end of TLS. */
    private static SocketListener.Handover socketChannel(Optional<TlsCredentials> tls, boolean server) {
        if (tls.isEmpty()) {
            return SocketMigrationChannel::new;
        }
        TlsCredentials credentials = tls.get();
        return server ? (uri, socket) -> TlsMigrationChannel.server(new SocketMigrationChannel(uri, socket), credentials)
                : (uri, socket) -> TlsMigrationChannel.client(new SocketMigrationChannel(uri, socket), credentials);
    }

    private static TransportException tlsUnsupported(MigrationUri uri) {
        return new TransportException(uri, "TLS runs over tcp: and unix: streams only (--tls-creds is set)");
    }
}
