package dev.ferry.transport;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.time.Duration;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * TLS over a plain tcp or unix channel. A TLS 1.3 handshake ({@link TlsHandshake}) verifies both
 * peers before the channel is handed out, so savevm never sees a byte from a peer that is not
 * verified; the stream then travels in {@link SealedRecords} keyed from that handshake's exporter
 * ({@link RecordKeys}), a MiB to a record.
 *
 * <p>After the handshake the destination sends one byte, {@value #ADMITTED}, inside TLS: in TLS 1.3
 * the client finishes before the server has judged its certificate, and without this byte a refused
 * source would learn it only from a broken stream later.
 *
 * <p>Reads and writes each hold their own lock and run in parallel. Abort is the plain channel's:
 * it closes the socket.
 */
final class TlsMigrationChannel implements MigrationChannel {

    private static final Logger LOG = LoggerFactory.getLogger(TlsMigrationChannel.class);
    /** No peer needs this long for a handshake, even in a nested VM; an idle or silent one is cut off. */
    static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(30);
    private static final byte ADMITTED = 1;

    private final MigrationUri uri;
    private final MigrationChannel plain;
    private final String negotiated;
    private final RecordSealer sealer;
    private final RecordOpener opener;

    private TlsMigrationChannel(MigrationChannel plain, TlsHandshake handshake, RecordKeys.Direction out, RecordKeys.Direction in)
            throws GeneralSecurityException {
        TlsWarmUp.streamBegins();
        SSLSession session = handshake.session();
        RecordKeys keys = RecordKeys.of(session);
        this.uri = plain.uri();
        this.plain = plain;
        this.negotiated = session.getProtocol() + " " + session.getCipherSuite();
        this.sealer = new RecordSealer(plain, keys, out);
        this.opener = new RecordOpener(plain, keys, in, handshake.leftover());
    }

    /** The source's end: handshakes, then waits for the destination to admit it. Closes {@code plain} on failure. */
    static TlsMigrationChannel client(MigrationChannel plain, TlsCredentials credentials) throws IOException {
        MigrationUri uri = plain.uri();
        TlsWarmUp.handshakeBegins();
        try (var watchdog = Watchdog.closing(plain, HANDSHAKE_TIMEOUT)) {
            long start = System.nanoTime();
            TlsHandshake handshake = new TlsHandshake(plain, credentials.clientEngine(uri));
            handshake.run(watchdog);
            if (handshake.admission() != ADMITTED) {
                throw new TransportException(uri, "the TLS destination closed the connection after the handshake");
            }
            TlsMigrationChannel channel = new TlsMigrationChannel(plain, handshake, RecordKeys.Direction.SOURCE_TO_DESTINATION,
                    RecordKeys.Direction.DESTINATION_TO_SOURCE);
            LOG.debug("TLS handshake with {} and admission in {} ms ({})", uri, millisSince(start), channel.negotiated);
            return channel;
        } catch (IOException | RuntimeException | GeneralSecurityException e) {
            plain.close();
            throw TlsFailure.of(uri, e, true);
        }
    }

    /** The destination's end: handshakes (verifying the source's certificate), then admits the source. */
    static TlsMigrationChannel server(MigrationChannel plain, TlsCredentials credentials) throws IOException {
        MigrationUri uri = plain.uri();
        TlsWarmUp.handshakeBegins();
        try (var watchdog = Watchdog.closing(plain, HANDSHAKE_TIMEOUT)) {
            long start = System.nanoTime();
            SSLEngine engine = credentials.serverEngine(uri);
            TlsHandshake handshake = new TlsHandshake(plain, engine);
            handshake.run(watchdog);
            handshake.admit(ADMITTED);
            TlsMigrationChannel channel = new TlsMigrationChannel(plain, handshake, RecordKeys.Direction.DESTINATION_TO_SOURCE,
                    RecordKeys.Direction.SOURCE_TO_DESTINATION);
            LOG.info("TLS source admitted: {} ({}, handshake {} ms)", engine.getSession().getPeerPrincipal().getName(), channel.negotiated,
                    millisSince(start));
            return channel;
        } catch (IOException | RuntimeException | GeneralSecurityException e) {
            plain.close();
            throw TlsFailure.of(uri, e, false);
        }
    }

    /** Milliseconds since {@code start}, a {@link System#nanoTime} reading: for the handshake and warm-up timings in the logs. */
    static long millisSince(long start) {
        return (System.nanoTime() - start) / 1_000_000;
    }

    /** The protocol and cipher suite the handshake agreed on, e.g. {@code TLSv1.3 TLS_AES_128_GCM_SHA256}. */
    String negotiated() {
        return negotiated;
    }

    @Override
    public MigrationUri uri() {
        return uri;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        synchronized (opener) {
            return opener.read(dst);
        }
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        int total = src.remaining();
        synchronized (sealer) {
            sealer.write(src);
        }
        return total;
    }

    @Override
    public boolean isOpen() {
        return plain.isOpen();
    }

    @Override
    public void abort() {
        plain.abort();
    }

    @Override
    public void shutdownOutput() throws IOException {
        plain.shutdownOutput();
    }

    @Override
    public void close() throws IOException {
        plain.close();
    }
}
