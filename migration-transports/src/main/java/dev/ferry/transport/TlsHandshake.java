package dev.ferry.transport;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TLS 1.3 handshake of a migration stream, JSSE's {@link SSLEngine} over the plain channel, and
 * the admission byte that follows it inside TLS. After it the engine is done: the stream goes on
 * in {@link SealedRecords} keyed from this session.
 */
final class TlsHandshake {

    private static final Logger LOG = LoggerFactory.getLogger(TlsHandshake.class);
    private static final int NET_BUFFER = 64 << 10;
    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

    private final MigrationUri uri;
    private final MigrationChannel plain;
    private final SSLEngine engine;
    /** Ciphertext received and not yet unwrapped (read mode). */
    private final ByteBuffer netIn = ByteBuffer.allocate(NET_BUFFER).flip();
    /** Ciphertext wrapped and not yet sent (write mode). */
    private final ByteBuffer netOut = ByteBuffer.allocate(NET_BUFFER);
    private final ByteBuffer appIn;

    TlsHandshake(MigrationChannel plain, SSLEngine engine) {
        this.uri = plain.uri();
        this.plain = plain;
        this.engine = engine;
        this.appIn = ByteBuffer.allocate(engine.getSession().getApplicationBufferSize());
    }

    /** Runs the handshake to its end; on failure the peer is told why (an alert) when it can be. */
    void run(Watchdog watchdog) throws IOException {
        engine.beginHandshake();
        HandshakeStatus status = engine.getHandshakeStatus();
        try {
            while (status != HandshakeStatus.FINISHED && status != HandshakeStatus.NOT_HANDSHAKING) {
                status = switch (status) {
                    case NEED_WRAP -> wrap(EMPTY);
                    case NEED_UNWRAP, NEED_UNWRAP_AGAIN -> unwrap();
                    case NEED_TASK -> runTasks();
                    default -> throw new IllegalStateException("handshake status " + status);
                };
            }
        } catch (SSLException e) {
            sendAlert();
            throw e;
        } catch (ClosedChannelException e) {
            throw watchdog.fired() ? new TransportException(uri, "no TLS handshake within " + TlsMigrationChannel.HANDSHAKE_TIMEOUT.toSeconds() + " s") : e;
        } catch (TransportException e) {
            // EOF, reset or broken pipe: the peer hung up, most likely because it does not speak TLS
            throw new TransportException(uri, TlsFailure.CLOSED_IN_HANDSHAKE, e);
        }
    }

    /** The destination's word after it judged the source's certificate: one byte inside TLS. */
    void admit(byte verdict) throws IOException {
        wrap(ByteBuffer.wrap(new byte[] {verdict}));
    }

    /** The source's wait for {@link #admit}: the byte, or -1 when the destination hung up instead. */
    int admission() throws IOException {
        while (appIn.position() == 0) {
            SSLEngineResult result = engine.unwrap(netIn, appIn);
            if (result.getHandshakeStatus() == HandshakeStatus.NEED_TASK) {
                runTasks();
            }
            switch (result.getStatus()) {
                case BUFFER_UNDERFLOW -> {
                    if (receive() < 0) {
                        return -1;
                    }
                }
                case CLOSED -> {
                    return -1;
                }
                case OK, BUFFER_OVERFLOW -> {
                    // a post-handshake message (a session ticket) or the byte itself
                }
            }
        }
        return appIn.get(0);
    }

    /** The session the handshake agreed on. */
    SSLSession session() {
        return engine.getSession();
    }

    /** What was received past the handshake and the admission byte: the first sealed records' start. */
    ByteBuffer leftover() {
        return netIn;
    }

    private HandshakeStatus wrap(ByteBuffer data) throws IOException {
        SSLEngineResult result = engine.wrap(data, netOut);
        try {
            plain.write(netOut.flip());
        } finally {
            netOut.clear();
        }
        return result.getHandshakeStatus();
    }

    private HandshakeStatus unwrap() throws IOException {
        SSLEngineResult result = engine.unwrap(netIn, appIn);
        if (result.getStatus() == SSLEngineResult.Status.BUFFER_UNDERFLOW) {
            if (receive() < 0) {
                throw new TransportException(uri, TlsFailure.CLOSED_IN_HANDSHAKE);
            }
            return engine.getHandshakeStatus();
        }
        return result.getHandshakeStatus();
    }

    private HandshakeStatus runTasks() {
        for (Runnable task = engine.getDelegatedTask(); task != null; task = engine.getDelegatedTask()) {
            task.run();
        }
        return engine.getHandshakeStatus();
    }

    /** Tells the peer why the handshake failed (the engine holds the alert); best effort, the peer may be gone. */
    private void sendAlert() {
        try {
            engine.closeOutbound();
            while (!engine.isOutboundDone()) {
                wrap(EMPTY);
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("could not send the TLS alert: {}", e.getMessage());
        }
    }

    /** Reads more ciphertext after what is left; -1 at end of stream. */
    private int receive() throws IOException {
        netIn.compact();
        try {
            return plain.read(netIn);
        } finally {
            netIn.flip();
        }
    }
}
