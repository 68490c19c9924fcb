package dev.ferry.transport;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.time.Duration;

/**
 * A source that handshakes with a real TLS destination as Ferry's does and then holds the session's
 * record keys itself, to seal what a test chooses and send it as it likes.
 *
 * @param plain the tcp channel beneath, past the handshake and the admission byte
 * @param keys the record keys of that session
 */
record VerifiedSource(MigrationChannel plain, RecordKeys keys) implements AutoCloseable {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    static VerifiedSource connect(MigrationUri.Tcp uri, TlsCredentials tls) throws IOException {
        MigrationChannel plain = new SocketMigrationChannel(uri, SocketChannel.open(new InetSocketAddress(uri.host(), uri.port())));
        TlsHandshake handshake = new TlsHandshake(plain, tls.clientEngine(uri));
        try (var watchdog = Watchdog.closing(plain, TIMEOUT)) {
            handshake.run(watchdog);
        }
        if (handshake.admission() != 1) {
            throw new IOException("not admitted");
        }
        return new VerifiedSource(plain, RecordKeys.of(handshake.session()));
    }

    @Override
    public void close() throws IOException {
        plain.close();
    }
}
