package dev.ferry.transport;

import java.nio.ByteBuffer;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSession;

/**
 * One TLS 1.3 handshake in memory, between a client and a server engine made from this process's own
 * credentials, run before a migration connects. A fresh JVM runs its first handshake cold: JSSE's
 * and the providers' classes load and initialise, and the key agreement, signature and
 * certificate-path code runs interpreted (JFR: 23–28 samples of the source's monitor thread); a
 * source's {@code migrate} waits for it, the destination's side after it. Both roles run here, so
 * a source and a destination each have both warm.
 *
 * <p>The engines come from {@link TlsCredentials#warmUpEngines()}: contexts made for the warm-up
 * alone, so no session, ticket or key of this handshake is where a migration's handshake could
 * resume from it; the real contexts and their checks are not touched.
 */
final class HandshakeWarmUp {

    /** The two ends of one warm-up handshake. */
    record Engines(SSLEngine client, SSLEngine server) {
    }

    /** Far more steps than a handshake takes (about a dozen); past it the engines are stuck. */
    private static final int MAX_STEPS = 256;
    private static final int NET_BUFFER = 64 << 10;
    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

    private HandshakeWarmUp() {
    }

    /**
     * Runs the handshake between {@code engines} to its end, or until {@code stop} says so.
     *
     * @return the client's session (the server's certificate verified, the client's verified by the server); empty if stopped
     * @throws SSLException if either end refused the other, or the handshake did not end
     */
    static Optional<SSLSession> run(Engines engines, BooleanSupplier stop) throws SSLException {
        SSLEngine client = engines.client();
        SSLEngine server = engines.server();
        ByteBuffer toServer = ByteBuffer.allocate(NET_BUFFER);
        ByteBuffer toClient = ByteBuffer.allocate(NET_BUFFER);
        ByteBuffer app = ByteBuffer.allocate(Math.max(client.getSession().getApplicationBufferSize(),
                server.getSession().getApplicationBufferSize()));
        client.beginHandshake();
        server.beginHandshake();
        for (int step = 0; handshaking(client) || handshaking(server); step++) {
            if (stop.getAsBoolean()) {
                return Optional.empty();
            }
            if (step == MAX_STEPS) {
                throw new SSLException("the warm-up handshake did not end after " + MAX_STEPS + " steps");
            }
            step(client, toClient, toServer, app);
            step(server, toServer, toClient, app);
        }
        server.getSession().getPeerCertificates(); // throws unless the server verified a client certificate
        // What a source does next, on this throwaway session: read the server's session ticket while it
        // waits for admission, and derive a record key from the exporter.
        if (toClient.flip().hasRemaining()) {
            client.unwrap(toClient, app.clear());
            runTasks(client);
        }
        RecordKeys.of(client.getSession()).key(RecordKeys.Direction.SOURCE_TO_DESTINATION, 0);
        return Optional.of(client.getSession());
    }

    private static void runTasks(SSLEngine engine) {
        for (Runnable task = engine.getDelegatedTask(); task != null; task = engine.getDelegatedTask()) {
            task.run();
        }
    }

    private static boolean handshaking(SSLEngine engine) {
        return engine.getHandshakeStatus() != HandshakeStatus.NOT_HANDSHAKING;
    }

    /** One move of {@code engine}: what it has to send goes to {@code out}, what it receives comes from {@code in}. */
    private static void step(SSLEngine engine, ByteBuffer in, ByteBuffer out, ByteBuffer app) throws SSLException {
        switch (engine.getHandshakeStatus()) {
            case NEED_WRAP -> engine.wrap(EMPTY, out);
            case NEED_UNWRAP, NEED_UNWRAP_AGAIN -> {
                in.flip();
                try {
                    engine.unwrap(in, app.clear());
                } finally {
                    in.compact();
                }
            }
            case NEED_TASK -> runTasks(engine);
            case FINISHED, NOT_HANDSHAKING -> {
                // this end is done; the other may still have a message to take
            }
        }
    }
}
