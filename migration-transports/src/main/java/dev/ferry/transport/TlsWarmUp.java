package dev.ferry.transport;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Warms a process's TLS path on one daemon thread, {@code tls-warm-up}, while it waits for its first
 * migration: first the record cipher ({@link CipherWarmUp}), then a handshake in memory with its own
 * credentials ({@link HandshakeWarmUp}). The cipher comes first because its cold path lies inside a
 * migration's copy, while the handshake runs before the copy begins (in {@code migrate}'s connect), so
 * warming it shortens only the wait for {@code migrate}. Each part stops as soon as its real
 * counterpart begins, and is skipped if that has already begun, so the warm-up never competes with
 * the work it prepares; a failure of either is logged and costs a migration nothing.
 */
final class TlsWarmUp {

    private static final Logger LOG = LoggerFactory.getLogger(TlsWarmUp.class);

    private static final AtomicBoolean STARTED = new AtomicBoolean();
    private static volatile boolean handshakeBegan;
    private static volatile boolean streamBegan;

    private TlsWarmUp() {
    }

    /**
     * Starts the warm-up, once per process; nothing if a stream already began.
     *
     * @param credentials the credentials whose own keys the warm-up handshake runs with
     */
    static void startOnce(TlsCredentials credentials) {
        if (streamBegan || !STARTED.compareAndSet(false, true)) {
            return;
        }
        Thread.ofPlatform().daemon().name("tls-warm-up").start(() -> {
            warmCipher();
            if (!handshakeBegan) {
                warmHandshake(credentials);
            }
        });
    }

    /** A migration's handshake begins: the warm-up handshake stops at its next step. */
    static void handshakeBegins() {
        handshakeBegan = true;
    }

    /** A TLS stream begins: the cipher warm-up stops at its next record. */
    static void streamBegins() {
        streamBegan = true;
    }

    private static void warmHandshake(TlsCredentials credentials) {
        long start = System.nanoTime();
        try {
            boolean done = HandshakeWarmUp.run(credentials.warmUpEngines(), () -> handshakeBegan).isPresent();
            LOG.debug("TLS handshake warm-up {} after {} ms", done ? "done" : "stopped by a migration's handshake", TlsMigrationChannel.millisSince(start));
        } catch (SSLException | RuntimeException e) {
            // e.g. a one-pair folder whose certificate does not serve the other role: the real handshakes are unaffected
            LOG.debug("TLS handshake warm-up failed after {} ms (migrations are unaffected): {}", TlsMigrationChannel.millisSince(start), e.toString());
        }
    }

    private static void warmCipher() {
        long start = System.nanoTime();
        try {
            int done = CipherWarmUp.run(CipherWarmUp.RECORDS, () -> streamBegan);
            LOG.debug("TLS record cipher warmed: {} records each way in {} ms", done, TlsMigrationChannel.millisSince(start));
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            LOG.warn("TLS record cipher warm-up failed (the stream is unaffected): {}", e.toString());
        }
    }
}
