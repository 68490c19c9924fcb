package dev.ferry.transport;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The in-memory warm-up of the TLS record path: it handshakes with the process's own certificate
 * whichever pair the folder holds, moves records until they run compiled (or its cap), and its
 * client trusts that one certificate only.
 */
class CipherWarmUpTest {

    @TempDir
    static Path work;
    private static ScratchCredentials ca;
    private static Path full;

    @BeforeAll
    static void makeCredentials() throws IOException {
        ca = ScratchCredentials.newCa(work.resolve("ca"), "ferry-warm-up-ca");
        full = ca.writeSet(work.resolve("full"));
    }

    @Test
    void runsUntilWarmWithTheServerPair() throws Exception {
        CipherWarmUp.Outcome outcome = TlsCredentials.load(full, Optional.empty()).warmUp().run();
        assertTrue(outcome.warm() || outcome.bytes() >= CipherWarmUp.MAX_BYTES, outcome.toString());
    }

    @Test
    void aSourceOnlyFolderWarmsUpWithItsClientPair() throws Exception {
        Path sourceOnly = work.resolve("source-only");
        ca.writeCa(sourceOnly);
        ca.issue(sourceOnly, ScratchCredentials.Role.CLIENT, "CN=ferry-source", "", false);
        CipherWarmUp warmUp = TlsCredentials.load(sourceOnly, Optional.empty()).warmUp();
        CompletableFuture<CipherWarmUp.Outcome> running = CompletableFuture.supplyAsync(() -> {
            try {
                return warmUp.run();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        Thread.sleep(3000);
        warmUp.stop();
        CipherWarmUp.Outcome outcome = running.get(60, TimeUnit.SECONDS);
        assertTrue(outcome.nanos() > 0, outcome.toString()); // the handshake over a client certificate worked: run() threw nothing
    }

    @Test
    void aMigrationStopsItBeforeItsNextBatch() throws Exception {
        TlsCredentials credentials = TlsCredentials.load(full, Optional.empty());
        CipherWarmUp warmUp = credentials.warmUp();
        warmUp.stop();
        assertEquals(0, warmUp.run().bytes());
    }

    @Test
    void trustsItsOwnCertificateOnly() throws Exception {
        X509Certificate server = PemFiles.certificates(Files.readString(full.resolve("server-cert.pem"))).getFirst();
        X509Certificate client = PemFiles.certificates(Files.readString(full.resolve("client-cert.pem"))).getFirst();
        OwnCertificateTrust trust = new OwnCertificateTrust(server);
        assertDoesNotThrow(() -> trust.checkServerTrusted(new X509Certificate[] {server}, "EC"));
        assertThrows(CertificateException.class, () -> trust.checkServerTrusted(new X509Certificate[] {client, server}, "EC"));
        assertThrows(CertificateException.class, () -> trust.checkClientTrusted(new X509Certificate[0], "EC"));
    }
}
