package dev.ferry.transport;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * TLS over a plain tcp or unix channel: an {@link SSLEngine} between the caller's plaintext and
 * the plain channel's ciphertext. The handshake runs to its end before the channel is handed out, so
 * savevm never sees a byte from a peer that is not verified.
 *
 * <p>After the handshake the destination sends one plaintext byte, {@value #ADMITTED}: in TLS 1.3
 * the client finishes before the server has judged its certificate, and without this byte a
 * refused source would learn it only from a broken stream later.
 *
 * <p>Reads and writes each hold their own lock (the engine allows one wrap and one unwrap at a
 * time in parallel). Ciphertext goes through heap buffers of many records, so one socket call
 * moves up to {@link #NET_BUFFER} bytes. Abort is the plain channel's: it closes the socket.
 */
final class TlsMigrationChannel implements MigrationChannel {

    private static final Logger LOG = LoggerFactory.getLogger(TlsMigrationChannel.class);
    /** No peer needs this long for a handshake, even in a nested VM; an idle or silent one is cut off. */
    static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(30);
    private static final byte ADMITTED = 1;
    private static final int NET_BUFFER = 256 << 10;
    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

    private final MigrationUri uri;
    private final MigrationChannel plain;
    private final SSLEngine engine;
    private final Object readLock = new Object();
    private final Object writeLock = new Object();
    /** Ciphertext received and not yet unwrapped (read mode). */
    private final ByteBuffer netIn = ByteBuffer.allocate(NET_BUFFER).flip();
    /** Plaintext unwrapped and not yet returned (read mode). */
    private final ByteBuffer appIn;
    /** Ciphertext wrapped and not yet sent (write mode). */
    private final ByteBuffer netOut = ByteBuffer.allocate(NET_BUFFER);
    /** A heap copy of the next part of a direct source buffer. */
    private final ByteBuffer plainOut = ByteBuffer.allocate(NET_BUFFER);

    private TlsMigrationChannel(MigrationChannel plain, SSLEngine engine) {
        this.uri = plain.uri();
        this.plain = plain;
        this.engine = engine;
        this.appIn = ByteBuffer.allocate(engine.getSession().getApplicationBufferSize()).flip();
    }

    /** Either end, handshaken with no admission byte: for {@link CipherWarmUp}, which talks to itself. */
    static TlsMigrationChannel handshaken(MigrationChannel plain, SSLEngine engine) throws IOException {
        TlsMigrationChannel channel = new TlsMigrationChannel(plain, engine);
        try (var watchdog = Watchdog.closing(plain, HANDSHAKE_TIMEOUT)) {
            channel.handshake(watchdog);
            return channel;
        } catch (IOException | RuntimeException e) {
            plain.close();
            throw e;
        }
    }

    /** The source's end: handshakes, then waits for the destination to admit it. Closes {@code plain} on failure. */
    static TlsMigrationChannel client(MigrationChannel plain, TlsCredentials credentials) throws IOException {
        MigrationUri uri = plain.uri();
        TlsMigrationChannel channel = new TlsMigrationChannel(plain, credentials.clientEngine(uri));
        try (var watchdog = Watchdog.closing(plain, HANDSHAKE_TIMEOUT)) {
            channel.handshake(watchdog);
            ByteBuffer verdict = ByteBuffer.allocate(1);
            if (channel.read(verdict) != 1 || verdict.get(0) != ADMITTED) {
                throw new TransportException(uri, "the TLS destination closed the connection after the handshake");
            }
            return channel;
        } catch (IOException | RuntimeException e) {
            plain.close();
            throw TlsFailure.of(uri, e, true);
        }
    }

    /** The destination's end: handshakes (verifying the source's certificate), then admits the source. */
    static TlsMigrationChannel server(MigrationChannel plain, TlsCredentials credentials) throws IOException {
        MigrationUri uri = plain.uri();
        TlsMigrationChannel channel = new TlsMigrationChannel(plain, credentials.serverEngine(uri));
        try (var watchdog = Watchdog.closing(plain, HANDSHAKE_TIMEOUT)) {
            channel.handshake(watchdog);
            channel.write(ByteBuffer.wrap(new byte[] {ADMITTED}));
            LOG.info("TLS source admitted: {} ({})", channel.engine.getSession().getPeerPrincipal().getName(),
                    channel.engine.getSession().getCipherSuite());
            return channel;
        } catch (IOException | RuntimeException e) {
            plain.close();
            throw TlsFailure.of(uri, e, false);
        }
    }

    private void handshake(Watchdog watchdog) throws IOException {
        engine.beginHandshake();
        HandshakeStatus status = engine.getHandshakeStatus();
        try {
            while (status != HandshakeStatus.FINISHED && status != HandshakeStatus.NOT_HANDSHAKING) {
                status = switch (status) {
                    case NEED_WRAP -> wrapHandshake();
                    case NEED_UNWRAP, NEED_UNWRAP_AGAIN -> unwrapHandshake();
                    case NEED_TASK -> runTasks();
                    default -> throw new IllegalStateException("handshake status " + status);
                };
            }
        } catch (SSLException e) {
            sendAlert();
            throw e;
        } catch (ClosedChannelException e) {
            throw watchdog.fired() ? new TransportException(uri, "no TLS handshake within " + HANDSHAKE_TIMEOUT.toSeconds() + " s") : e;
        } catch (TransportException e) {
            // EOF, reset or broken pipe: the peer hung up, most likely because it does not speak TLS
            throw new TransportException(uri, TlsFailure.CLOSED_IN_HANDSHAKE, e);
        }
    }

    private HandshakeStatus wrapHandshake() throws IOException {
        synchronized (writeLock) {
            SSLEngineResult result = engine.wrap(EMPTY, netOut);
            flush();
            return result.getHandshakeStatus();
        }
    }

    private HandshakeStatus unwrapHandshake() throws IOException {
        synchronized (readLock) {
            appIn.compact();
            SSLEngineResult result;
            try {
                result = engine.unwrap(netIn, appIn);
            } finally {
                appIn.flip();
            }
            if (result.getStatus() == SSLEngineResult.Status.BUFFER_UNDERFLOW && receive() < 0) {
                throw new TransportException(uri, TlsFailure.CLOSED_IN_HANDSHAKE);
            }
            return result.getStatus() == SSLEngineResult.Status.BUFFER_UNDERFLOW ? engine.getHandshakeStatus() : result.getHandshakeStatus();
        }
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
                wrapHandshake();
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("could not send the TLS alert: {}", e.getMessage());
        }
    }

    /** The protocol and cipher suite the handshake agreed on, e.g. {@code TLSv1.3 TLS_AES_128_GCM_SHA256}. */
    String negotiated() {
        return engine.getSession().getProtocol() + " " + engine.getSession().getCipherSuite();
    }

    @Override
    public MigrationUri uri() {
        return uri;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        synchronized (readLock) {
            if (appIn.hasRemaining()) {
                return moveTo(dst);
            }
            int produced = 0;
            while (true) {
                ByteBuffer target = dst.hasArray() && dst.remaining() >= appIn.capacity() ? dst : appIn.clear();
                SSLEngineResult result;
                try {
                    result = engine.unwrap(netIn, target);
                } finally {
                    if (target == appIn) {
                        appIn.flip();
                    }
                }
                answerPostHandshake(result.getHandshakeStatus());
                switch (result.getStatus()) {
                    case OK -> {
                        if (target == appIn && appIn.hasRemaining()) {
                            return produced + moveTo(dst);
                        }
                        produced += result.bytesProduced();
                        if (produced > 0 && (dst.remaining() < appIn.capacity() || !netIn.hasRemaining())) {
                            return produced;
                        }
                    }
                    case BUFFER_UNDERFLOW -> {
                        if (produced > 0) {
                            return produced;
                        }
                        if (receive() < 0) {
                            return -1;
                        }
                    }
                    case CLOSED -> {
                        return produced > 0 ? produced : -1;
                    }
                    case BUFFER_OVERFLOW -> throw new IllegalStateException("TLS record larger than the session's buffer size");
                }
            }
        }
    }

    /** Post-handshake messages (a key update) may need an answer or a task while reading. */
    private void answerPostHandshake(HandshakeStatus status) throws IOException {
        if (status == HandshakeStatus.NEED_TASK) {
            runTasks();
        } else if (status == HandshakeStatus.NEED_WRAP) {
            wrapHandshake();
        }
    }

    private int moveTo(ByteBuffer dst) {
        int n = Math.min(dst.remaining(), appIn.remaining());
        dst.put(dst.position(), appIn, appIn.position(), n);
        dst.position(dst.position() + n);
        appIn.position(appIn.position() + n);
        return n;
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

    @Override
    public int write(ByteBuffer src) throws IOException {
        int total = src.remaining();
        synchronized (writeLock) {
            while (src.hasRemaining()) {
                ByteBuffer plain = src.hasArray() ? src : staged(src);
                while (plain.hasRemaining()) {
                    wrap(plain);
                }
            }
            flush();
        }
        return total;
    }

    /** Wraps one record of {@code plain} into {@link #netOut}, sending what is there first when it is full. */
    private void wrap(ByteBuffer plain) throws IOException {
        SSLEngineResult result = engine.wrap(plain, netOut);
        switch (result.getStatus()) {
            case OK -> {
                if (result.getHandshakeStatus() == HandshakeStatus.NEED_TASK) {
                    runTasks();
                }
            }
            case BUFFER_OVERFLOW -> flush();
            case CLOSED -> throw new TransportException(uri, "write after the TLS session was closed");
            case BUFFER_UNDERFLOW -> throw new IllegalStateException("wrap underflow");
        }
    }

    /** Moves the start of a direct {@code src} into {@link #plainOut}: AES-GCM runs faster on arrays. */
    private ByteBuffer staged(ByteBuffer src) {
        int n = Math.min(src.remaining(), plainOut.capacity());
        plainOut.clear().put(0, src, src.position(), n).limit(n);
        src.position(src.position() + n);
        return plainOut;
    }

    private void flush() throws IOException {
        try {
            plain.write(netOut.flip());
        } finally {
            netOut.clear();
        }
    }

    @Override
    public boolean isOpen() {
        return plain.isOpen();
    }

    @Override
    public void abort() {
        plain.abort();
    }

    /** close_notify (TLS 1.3 closes each direction on its own), then the socket's output. */
    @Override
    public void shutdownOutput() throws IOException {
        sendCloseNotify();
        plain.shutdownOutput();
    }

    /** Sends close_notify when the connection still works (once), then closes it. */
    @Override
    public void close() throws IOException {
        if (plain.isOpen()) {
            try {
                sendCloseNotify();
            } catch (IOException e) {
                LOG.debug("{}: no close_notify sent: {}", uri, e.getMessage());
            }
        }
        plain.close();
    }

    private void sendCloseNotify() throws IOException {
        synchronized (writeLock) {
            engine.closeOutbound();
            while (!engine.isOutboundDone()) {
                engine.wrap(EMPTY, netOut);
                flush();
            }
        }
    }
}
