package dev.ferry.transport;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gets the JIT to compile the TLS record path before a migration needs it. Until C2 has compiled
 * {@link TlsMigrationChannel}'s reads and writes down to the AES-GCM intrinsics, JSSE encrypts in
 * plain Java at 25-50 MB/s (a fresh JVM here took 2.6 s for its first 64 MiB; warm, the same path
 * runs at several GB/s), and a storage copy of a GiB is over before that happens.
 *
 * <p>So this runs a migration's TLS channel against itself: both ends of a unix socket in a
 * private temporary folder, each wrapped in a {@link TlsMigrationChannel} over this process's own
 * certificate (the client trusts that one certificate only), the sender writing direct buffers and
 * the reader reading frame headers and payloads into direct buffers, as savevm does. Going
 * through the same classes matters: records pushed between two bare engines get their crypto
 * inlined into the warm-up's own loop, and the code a migration then runs stays cold, or is
 * thrown away at its first unexpected branch. It stops when both ends run at {@link #WARM_RATE}
 * of their own CPU time for a few batches (so a busy machine that preempts it does not make
 * compiled code look cold) and {@link #MIN_BYTES} went through, after {@link #MAX_BYTES}, or when a migration starts (its own records
 * then warm the same code, and this would only take CPU from it).
 */
final class CipherWarmUp {

    /** What a warm-up did. */
    record Outcome(long bytes, boolean warm, long nanos) {
    }

    private static final Logger LOG = LoggerFactory.getLogger(CipherWarmUp.class);
    private static final int WRITE = 256 << 10;
    private static final int FRAME_HEADER = 16;
    private static final int WRITES_PER_BATCH = 16;
    /** Bytes per CPU-second through one end that only compiled code reaches (plain Java: 25-300 MB/s). */
    static final long WARM_RATE = 1_000_000_000L;
    private static final int WARM_BATCHES = 3;
    /**
     * JSSE's per-record methods reach C2 after some 15,000 calls (its tier-4 threshold), one a
     * 16 KiB record: until then the batch rate can look warm from the intrinsics alone.
     */
    static final long MIN_BYTES = 256L << 20;
    static final long MAX_BYTES = 1L << 30;
    private static final Path CPU_CLOCK = Path.of("/proc/thread-self/schedstat");

    private final SSLEngine client;
    private final SSLEngine server;
    private volatile boolean stopped;
    private volatile boolean readerWarm;

    private CipherWarmUp(SSLEngine client, SSLEngine server) {
        this.client = client;
        this.server = server;
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
    CipherWarmUp startInBackground() {
        Thread.ofPlatform().daemon().priority(Thread.MIN_PRIORITY).name("tls-warm-up").start(() -> {
            try {
                Outcome outcome = run();
                LOG.debug("TLS warm-up: {} MiB in {} ms, {}", outcome.bytes() >> 20, outcome.nanos() / 1_000_000,
                        outcome.warm() ? "warm" : stopped ? "stopped by a migration" : "not warm yet");
            } catch (IOException | RuntimeException e) {
                LOG.debug("TLS warm-up stopped: {}", e.getMessage());
            }
        });
        return this;
    }

    /** Ends {@link #run} after its current write: a migration has started. */
    void stop() {
        stopped = true;
    }

    /** Connects the two ends, then sends until both run warm, {@link #MAX_BYTES} went through or {@link #stop}. */
    Outcome run() throws IOException {
        long start = System.nanoTime();
        Path dir = Files.createTempDirectory("ferry-tls-warm-up");
        Path path = dir.resolve("warm-up.sock");
        try (ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            listener.bind(UnixDomainSocketAddress.of(path));
            MigrationUri uri = new MigrationUri.Unix(path);
            SocketChannel out = SocketChannel.open(StandardProtocolFamily.UNIX);
            out.connect(UnixDomainSocketAddress.of(path));
            MigrationChannel in = new SocketMigrationChannel(uri, listener.accept());
            CompletableFuture<Void> reader = new CompletableFuture<>();
            Thread.ofPlatform().daemon().name("tls-warm-up-reader").start(() -> {
                try {
                    read(TlsMigrationChannel.handshaken(in, server));
                    reader.complete(null);
                } catch (IOException | RuntimeException e) {
                    reader.completeExceptionally(e);
                }
            });
            long bytes;
            boolean warm;
            try (TlsMigrationChannel sender = TlsMigrationChannel.handshaken(new SocketMigrationChannel(uri, out), client)) {
                bytes = send(sender);
                warm = !stopped && bytes < MAX_BYTES;
            }
            try {
                reader.get();
            } catch (ExecutionException e) {
                // The sender is done, so the warm-up is: a reader cut off by the sender's close
                // (a stop during the handshake leaves the server's last handshake write unread) is no failure.
                LOG.debug("TLS warm-up reader ended: {}", e.getCause().toString());
            }
            return new Outcome(bytes, warm, System.nanoTime() - start);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } finally {
            Files.deleteIfExists(path);
            Files.delete(dir);
        }
    }

    /** Writes batches of direct buffers until both ends ran {@link #WARM_BATCHES} warm batches; returns the bytes sent. */
    private long send(TlsMigrationChannel sender) throws IOException {
        ByteBuffer frame = ByteBuffer.allocateDirect(WRITE);
        long bytes = 0;
        int warmBatches = 0;
        while (!(warmBatches >= WARM_BATCHES && readerWarm && bytes >= MIN_BYTES) && bytes < MAX_BYTES && !stopped) {
            long cpu = cpuNanos();
            long batch = 0;
            for (int i = 0; i < WRITES_PER_BATCH && !stopped; i++) {
                batch += sender.write(frame.clear());
            }
            bytes += batch;
            warmBatches = warm(batch, cpu) ? warmBatches + 1 : 0;
        }
        return bytes;
    }

    /** Reads each write as savevm reads a frame, a header then the rest, until the sender closes. */
    private void read(TlsMigrationChannel receiver) throws IOException {
        try (receiver) {
            ByteBuffer header = ByteBuffer.allocateDirect(FRAME_HEADER);
            ByteBuffer payload = ByteBuffer.allocateDirect(WRITE - FRAME_HEADER);
            int warmBatches = 0;
            while (true) {
                long cpu = cpuNanos();
                long batch = 0;
                for (int i = 0; i < WRITES_PER_BATCH; i++) {
                    if (!fill(receiver, header.clear()) || !fill(receiver, payload.clear())) {
                        return;
                    }
                    batch += WRITE;
                }
                warmBatches = warm(batch, cpu) ? warmBatches + 1 : 0;
                readerWarm |= warmBatches >= WARM_BATCHES;
            }
        }
    }

    private static boolean fill(TlsMigrationChannel receiver, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            if (receiver.read(buffer) < 0) {
                return false;
            }
        }
        return true;
    }

    private static boolean warm(long bytes, long cpuBefore) {
        return bytes * 1_000_000_000L / Math.max(1, cpuNanos() - cpuBefore) >= WARM_RATE;
    }

    /** This thread's CPU time (Linux's schedstat: nanoseconds on a CPU first); wall time if unreadable. */
    private static long cpuNanos() {
        try {
            String stat = Files.readString(CPU_CLOCK);
            return Long.parseLong(stat.substring(0, stat.indexOf(' ')));
        } catch (IOException | RuntimeException e) {
            return System.nanoTime();
        }
    }
}
