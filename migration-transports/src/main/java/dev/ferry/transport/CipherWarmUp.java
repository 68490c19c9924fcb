package dev.ferry.transport;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.function.Consumer;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gets the JIT to compile JSSE's record path before a migration needs it. Until C2 has compiled
 * {@code SSLEngine.wrap}/{@code unwrap} down to the AES-GCM intrinsics, JSSE encrypts in plain Java
 * at 25-50 MB/s (measured here: the first 64 MiB of a fresh JVM took 2.6 s; warm, the same path
 * runs at several GB/s), and a 1 GiB storage copy is over before that happens. So this pushes
 * records between two in-memory engines, set up like a migration's (the same protocol, suites and
 * 256 KiB writes into heap buffers), until a batch runs at {@link #WARM_RATE} a few times running,
 * or {@link #MAX_BYTES} went through. The engines never touch a socket; the client trusts only the
 * certificate the server shows, which is this process's own.
 */
final class CipherWarmUp {

    /** What a warm-up did. */
    record Outcome(long bytes, boolean warm, long nanos) {
    }

    private static final Logger LOG = LoggerFactory.getLogger(CipherWarmUp.class);
    private static final int WRITE = 256 << 10;
    private static final int WRITES_PER_BATCH = 16;
    /** Bytes per second through wrap plus unwrap that only compiled code reaches (plain Java: 25-300). */
    static final long WARM_RATE = 1_000_000_000L;
    private static final int WARM_BATCHES = 3;
    static final long MAX_BYTES = 1L << 30;

    private final SSLEngine client;
    private final SSLEngine server;
    private final ByteBuffer plain = ByteBuffer.allocate(WRITE);
    private final ByteBuffer net;
    private final ByteBuffer received;

    private CipherWarmUp(SSLEngine client, SSLEngine server) {
        this.client = client;
        this.server = server;
        int records = WRITE / server.getSession().getApplicationBufferSize() + 2;
        this.net = ByteBuffer.allocate(records * server.getSession().getPacketBufferSize());
        this.received = ByteBuffer.allocate(WRITE + server.getSession().getApplicationBufferSize());
    }

    /** Two engines that present and trust {@code chain}'s first certificate, set up by {@code parameters}. */
    static CipherWarmUp of(List<X509Certificate> chain, PrivateKey key, Consumer<SSLEngine> parameters)
            throws GeneralSecurityException {
        SSLContext serverContext = SSLContext.getInstance("TLSv1.3");
        serverContext.init(new KeyManager[] {new OneIdentityKeyManager(chain, key)}, null, null);
        SSLContext clientContext = SSLContext.getInstance("TLSv1.3");
        clientContext.init(null, new TrustManager[] {new OwnCertificateTrust(chain.getFirst())}, null);
        SSLEngine server = serverContext.createSSLEngine();
        server.setUseClientMode(false);
        SSLEngine client = clientContext.createSSLEngine();
        client.setUseClientMode(true);
        parameters.accept(server);
        parameters.accept(client);
        return new CipherWarmUp(client, server);
    }

    /** Starts {@link #run} on a daemon thread of the lowest priority; failures are only logged. */
    void startInBackground() {
        Thread.ofPlatform().daemon().priority(Thread.MIN_PRIORITY).name("tls-warm-up").start(() -> {
            try {
                Outcome outcome = run();
                LOG.debug("TLS warm-up: {} MiB in {} ms, {}", outcome.bytes() >> 20, outcome.nanos() / 1_000_000,
                        outcome.warm() ? "warm" : "not warm yet");
            } catch (SSLException | RuntimeException e) {
                LOG.debug("TLS warm-up stopped: {}", e.getMessage());
            }
        });
    }

    /** Handshakes, then moves batches of records until they run warm or {@link #MAX_BYTES} went through. */
    Outcome run() throws SSLException {
        long start = System.nanoTime();
        handshake();
        long bytes = 0;
        int warmBatches = 0;
        while (warmBatches < WARM_BATCHES && bytes < MAX_BYTES) {
            long batchStart = System.nanoTime();
            for (int i = 0; i < WRITES_PER_BATCH; i++) {
                roundTrip();
            }
            long batch = (long) WRITE * WRITES_PER_BATCH;
            bytes += batch;
            boolean fast = batch * 1_000_000_000L / Math.max(1, System.nanoTime() - batchStart) >= WARM_RATE;
            warmBatches = fast ? warmBatches + 1 : 0;
        }
        return new Outcome(bytes, warmBatches == WARM_BATCHES, System.nanoTime() - start);
    }

    /** One migration-sized write: wrapped into records by the client, unwrapped by the server. */
    private void roundTrip() throws SSLException {
        plain.clear();
        net.clear();
        while (plain.hasRemaining()) {
            expectOk(client.wrap(plain, net));
        }
        net.flip();
        received.clear();
        while (net.hasRemaining()) {
            expectOk(server.unwrap(net, received));
        }
    }

    private static void expectOk(SSLEngineResult result) throws SSLException {
        if (result.getStatus() != SSLEngineResult.Status.OK || result.bytesConsumed() == 0) {
            throw new SSLException("unexpected engine result " + result.getStatus() + " " + result.getHandshakeStatus());
        }
    }

    /** Runs both ends' handshake through {@link #net} in one direction at a time. */
    private void handshake() throws SSLException {
        client.beginHandshake();
        server.beginHandshake();
        ByteBuffer toServer = ByteBuffer.allocate(net.capacity());
        ByteBuffer toClient = ByteBuffer.allocate(net.capacity());
        for (int round = 0; round < 20; round++) {
            step(client, toServer, toClient);
            step(server, toClient, toServer);
            if (done(client) && done(server)) {
                return;
            }
        }
        throw new SSLException("in-memory handshake did not finish");
    }

    private static boolean done(SSLEngine engine) {
        HandshakeStatus status = engine.getHandshakeStatus();
        return status == HandshakeStatus.NOT_HANDSHAKING || status == HandshakeStatus.FINISHED;
    }

    /** Lets {@code engine} write to {@code out} and read from {@code in} until it waits for its peer. */
    private void step(SSLEngine engine, ByteBuffer out, ByteBuffer in) throws SSLException {
        while (true) {
            switch (engine.getHandshakeStatus()) {
                case NEED_TASK -> {
                    for (Runnable task = engine.getDelegatedTask(); task != null; task = engine.getDelegatedTask()) {
                        task.run();
                    }
                }
                case NEED_WRAP -> engine.wrap(plain.clear().limit(0), out);
                case NEED_UNWRAP, NEED_UNWRAP_AGAIN -> {
                    SSLEngineResult result = engine.unwrap(in.flip(), received.clear());
                    in.compact();
                    if (result.bytesConsumed() == 0) {
                        return;
                    }
                }
                default -> {
                    return;
                }
            }
        }
    }
}
