package dev.ferry.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS over real sockets with certificates made at test time by a scratch CA: data arrives intact
 * both ways, and every way in without the right credentials is refused on both sides, by a
 * handshake that ends before the destination hands a single byte to savevm.
 */
class TlsTransportTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    @TempDir
    static Path work;
    private static Path good;
    private static ScratchCredentials ca;

    @TempDir
    Path dir;

    @BeforeAll
    static void makeCredentials() throws IOException {
        ca = ScratchCredentials.newCa(work.resolve("ca"), "ferry-test-ca");
        good = ca.writeSet(work.resolve("good"));
    }

    @Test
    void tcpCarriesDataBothWaysIntact() throws Exception {
        TlsCredentials tls = TlsCredentials.load(good, Optional.empty());
        try (MigrationListener listener = Transports.listen(MigrationUri.parse("tcp:127.0.0.1:0"), Optional.of(tls))) {
            exchange(listener, listener.boundUri(), tls, tls);
        }
    }

    @Test
    void unixCarriesDataBothWaysIntact() throws Exception {
        TlsCredentials tls = TlsCredentials.load(good, Optional.empty());
        MigrationUri uri = new MigrationUri.Unix(dir.resolve("mig.sock"));
        try (MigrationListener listener = Transports.listen(uri, Optional.of(tls))) {
            exchange(listener, uri, tls, tls);
        }
    }

    /**
     * Both ends offer AES-128-GCM first (with AES-NI it is the faster of the two AES-GCM suites and as
     * strong as a migration needs); the handshake must settle on it, over TLS 1.3, on both sides.
     */
    @Test
    void bothEndsNegotiateTls13WithAes128Gcm() throws Exception {
        TlsCredentials tls = TlsCredentials.load(good, Optional.empty());
        try (MigrationListener listener = Transports.listen(MigrationUri.parse("tcp:127.0.0.1:0"), Optional.of(tls))) {
            CompletableFuture<MigrationChannel> accepted = CompletableFuture.supplyAsync(() -> accept(listener));
            try (MigrationChannel source = Transports.connect(listener.boundUri(), TIMEOUT, Optional.of(tls));
                    MigrationChannel destination = accepted.get()) {
                assertEquals("TLSv1.3 TLS_AES_128_GCM_SHA256", ((TlsMigrationChannel) source).negotiated());
                assertEquals("TLSv1.3 TLS_AES_128_GCM_SHA256", ((TlsMigrationChannel) destination).negotiated());
            }
        }
    }

    @Test
    void sourceRefusesDestinationOfAnotherCa() throws Exception {
        Path other = ScratchCredentials.newCa(dir.resolve("other-ca"), "other-ca").writeSet(dir.resolve("other"));
        Refusal refusal = handshake(good, other);
        assertTrue(refusal.source().contains("the destination's certificate is not signed by the CA"), refusal.source());
        assertTrue(refusal.destination().contains("the source refused this destination's certificate"), refusal.destination());
    }

    @Test
    void destinationRefusesSourceOfAnotherCa() throws Exception {
        Path source = dir.resolve("source");
        Files.createDirectories(source);
        Files.copy(good.resolve("ca-cert.pem"), source.resolve("ca-cert.pem"));
        ScratchCredentials other = ScratchCredentials.newCa(dir.resolve("other-ca"), "other-ca");
        other.issue(source, ScratchCredentials.Role.CLIENT, "CN=ferry-source", "", false);
        Refusal refusal = handshake(good, source);
        assertTrue(refusal.destination().contains("the source's certificate is not signed by the CA"), refusal.destination());
        assertTrue(refusal.source().contains("the destination refused this source's certificate"), refusal.source());
    }

    @Test
    void sourceRefusesExpiredDestination() throws Exception {
        Path destination = copyOfGood("destination");
        ca.issue(destination, ScratchCredentials.Role.SERVER, "CN=ferry-destination", "dns:localhost,ip:127.0.0.1", true);
        Refusal refusal = handshake(destination, good);
        assertTrue(refusal.source().contains("the destination's certificate") && refusal.source().contains("expired"), refusal.source());
    }

    @Test
    void destinationRefusesExpiredSource() throws Exception {
        Path source = copyOfGood("source");
        ca.issue(source, ScratchCredentials.Role.CLIENT, "CN=ferry-source", "", true);
        Refusal refusal = handshake(good, source);
        assertTrue(refusal.destination().contains("the source's certificate") && refusal.destination().contains("expired"),
                refusal.destination());
        assertTrue(refusal.source().contains("the destination refused this source's certificate"), refusal.source());
    }

    @Test
    void sourceRefusesDestinationCertifiedForAnotherName() throws Exception {
        Path destination = copyOfGood("destination");
        ca.issue(destination, ScratchCredentials.Role.SERVER, "CN=ferry-destination", "dns:elsewhere.example", false);
        Refusal refusal = handshake(destination, good);
        assertTrue(refusal.source().contains("does not name the host"), refusal.source());
    }

    @Test
    void authorizationListRefusesOtherTrustedSubjects() throws Exception {
        Path list = Files.writeString(dir.resolve("allowed"), "# sources allowed in\nCN=some-other-source\n");
        TlsCredentials destination = TlsCredentials.load(good, Optional.of(list));
        TlsCredentials source = TlsCredentials.load(good, Optional.empty());
        Refusal refusal = refusal(destination, source);
        assertTrue(refusal.destination().contains("'CN=ferry-source' is not on the authorization list"), refusal.destination());
        assertTrue(refusal.source().contains("the destination refused this source's certificate"), refusal.source());
    }

    /**
     * The warm-up handshake takes its own client certificate without the authorization list (it admits
     * nobody to anything); a source presenting that very certificate must still be refused by it.
     */
    @Test
    void warmUpsHandshakeAdmitsNoSourceTheAuthorizationListRefuses() throws Exception {
        Path list = Files.writeString(dir.resolve("allowed"), "CN=some-other-source\n");
        TlsCredentials destination = TlsCredentials.load(good, Optional.of(list));
        HandshakeWarmUp.Engines warmUp = destination.warmUpEngines();
        assertTrue(HandshakeWarmUp.run(warmUp, () -> false).isPresent());
        assertEquals("CN=ferry-source", warmUp.server().getSession().getPeerPrincipal().getName());
        Refusal refusal = refusal(destination, TlsCredentials.load(good, Optional.empty()));
        assertTrue(refusal.destination().contains("'CN=ferry-source' is not on the authorization list"), refusal.destination());
        assertTrue(refusal.source().contains("the destination refused this source's certificate"), refusal.source());
    }

    @Test
    void authorizationListAdmitsListedSubject() throws Exception {
        Path list = Files.writeString(dir.resolve("allowed"), "cn=ferry-source\n");
        TlsCredentials destination = TlsCredentials.load(good, Optional.of(list));
        try (MigrationListener listener = Transports.listen(MigrationUri.parse("tcp:127.0.0.1:0"), Optional.of(destination))) {
            exchange(listener, listener.boundUri(), destination, TlsCredentials.load(good, Optional.empty()));
        }
    }

    @Test
    void plainSourceIsRefusedByTlsDestination() throws Exception {
        TlsCredentials tls = TlsCredentials.load(good, Optional.empty());
        try (MigrationListener listener = Transports.listen(MigrationUri.parse("tcp:127.0.0.1:0"), Optional.of(tls))) {
            CompletableFuture<MigrationChannel> accepted = CompletableFuture.supplyAsync(() -> accept(listener));
            try (MigrationChannel plain = Transports.connect(listener.boundUri(), TIMEOUT)) {
                plain.write(ByteBuffer.wrap("FERRYMIG a plain stream header".getBytes()));
                String destination = failure(accepted);
                assertTrue(destination.contains("the source does not speak TLS"), destination);
                ByteBuffer answer = ByteBuffer.allocate(4096);
                int n = plain.read(answer);
                assertTrue(n <= 0 || answer.get(0) == 0x15, "the destination answers a plain source with a TLS alert or nothing");
            }
        }
    }

    @Test
    void tlsSourceIsRefusedByPlainDestination() throws Exception {
        TlsCredentials tls = TlsCredentials.load(good, Optional.empty());
        try (MigrationListener listener = Transports.listen("tcp:127.0.0.1:0")) {
            CompletableFuture<Void> plainDestination = CompletableFuture.runAsync(() -> {
                try (MigrationChannel channel = listener.accept(TIMEOUT)) {
                    channel.read(ByteBuffer.allocate(64));
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            TransportException e = assertThrows(TransportException.class, () -> Transports.connect(listener.boundUri(), TIMEOUT, Optional.of(tls)));
            assertTrue(e.getMessage().contains("the destination closed during the TLS handshake (a destination without --tls-creds?)"),
                    e.getMessage());
            plainDestination.get();
        }
    }

    @Test
    void fdAndExecRefuseTls() throws Exception {
        Optional<TlsCredentials> tls = Optional.of(TlsCredentials.load(good, Optional.empty()));
        TransportException e = assertThrows(TransportException.class, () -> Transports.connect(MigrationUri.parse("exec:cat"), TIMEOUT, tls));
        assertTrue(e.getMessage().contains("TLS runs over tcp: and unix: streams only"), e.getMessage());
        assertThrows(TransportException.class, () -> Transports.listen(MigrationUri.parse("fd:0"), tls));
    }

    @Test
    void missingFilesAreNamed() throws Exception {
        IOException e = assertThrows(IOException.class, () -> TlsCredentials.load(dir, Optional.empty()));
        assertEquals(dir.resolve("ca-cert.pem") + ": no such file", e.getMessage());
        Path serverOnly = dir.resolve("server-only");
        Files.createDirectories(serverOnly);
        for (String name : new String[] {"ca-cert.pem", "server-cert.pem", "server-key.pem"}) {
            Files.copy(good.resolve(name), serverOnly.resolve(name));
        }
        TlsCredentials tls = TlsCredentials.load(serverOnly, Optional.empty());
        e = assertThrows(TransportException.class, () -> Transports.connect(MigrationUri.parse("unix:" + dir.resolve("none")),
                TIMEOUT, Optional.of(tls)));
        assertTrue(e.getMessage().contains("no socket file") || e.getMessage().contains("client-cert.pem"), e.getMessage());
    }

    /** What each side said when the handshake between them failed. */
    private record Refusal(String destination, String source) {
    }

    private Refusal handshake(Path destination, Path source) throws Exception {
        return refusal(TlsCredentials.load(destination, Optional.empty()), TlsCredentials.load(source, Optional.empty()));
    }

    private static Refusal refusal(TlsCredentials destination, TlsCredentials source) throws Exception {
        try (MigrationListener listener = Transports.listen(MigrationUri.parse("tcp:127.0.0.1:0"), Optional.of(destination))) {
            CompletableFuture<MigrationChannel> accepted = CompletableFuture.supplyAsync(() -> accept(listener));
            TransportException sourceSide = assertThrows(TransportException.class,
                    () -> Transports.connect(listener.boundUri(), TIMEOUT, Optional.of(source)));
            return new Refusal(failure(accepted), sourceSide.getMessage());
        }
    }

    private Path copyOfGood(String name) throws IOException {
        Path copy = dir.resolve(name);
        Files.createDirectories(copy);
        try (var files = Files.list(good)) {
            for (Path file : files.toList()) {
                Files.copy(file, copy.resolve(file.getFileName()));
            }
        }
        return copy;
    }

    private static void exchange(MigrationListener listener, MigrationUri uri, TlsCredentials destination, TlsCredentials source)
            throws Exception {
        CompletableFuture<Streams.Digest> received = CompletableFuture.supplyAsync(() -> {
            try (MigrationChannel channel = accept(listener)) {
                Streams.Digest digest = receiveUntil(channel, 24L << 20);
                channel.write(ByteBuffer.wrap(new byte[] {42}));
                return digest;
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        try (MigrationChannel channel = Transports.connect(uri, TIMEOUT, Optional.of(source))) {
            Streams.Digest sent = Streams.send(channel, 7, 24L << 20);
            ByteBuffer answer = ByteBuffer.allocate(1);
            assertEquals(1, channel.read(answer));
            assertEquals(42, answer.get(0));
            assertEquals(sent, received.get());
        }
    }

    /** Reads exactly {@code bytes} (the stream stays open for the answer). */
    private static Streams.Digest receiveUntil(MigrationChannel channel, long bytes) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocateDirect(Streams.CHUNK);
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        long total = 0;
        while (total < bytes) {
            buffer.clear().limit((int) Math.min(buffer.capacity(), bytes - total));
            int n = channel.read(buffer);
            if (n < 0) {
                break;
            }
            total += n;
            crc.update(buffer.flip());
        }
        return new Streams.Digest(total, crc.getValue());
    }

    private static MigrationChannel accept(MigrationListener listener) {
        try {
            return listener.accept(TIMEOUT);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String failure(CompletableFuture<MigrationChannel> accepted) throws InterruptedException {
        ExecutionException e = assertThrows(ExecutionException.class, accepted::get);
        return e.getCause().getCause().getMessage();
    }
}
