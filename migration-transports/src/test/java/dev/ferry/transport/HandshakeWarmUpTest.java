package dev.ferry.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The handshake warm-up is a real, fully verified TLS 1.3 handshake with a process's own credentials,
 * which stops when told; it refuses what a migration's handshake refuses.
 */
class HandshakeWarmUpTest {

    @TempDir
    static Path work;
    private static Path good;

    @TempDir
    Path dir;

    @BeforeAll
    static void makeCredentials() throws IOException {
        good = ScratchCredentials.newCa(work.resolve("ca"), "ferry-test-ca").writeSet(work.resolve("good"));
    }

    @Test
    void runsAFullHandshakeWithBothPeersVerified() throws Exception {
        HandshakeWarmUp.Engines engines = TlsCredentials.load(good, Optional.empty()).warmUpEngines();
        SSLSession client = HandshakeWarmUp.run(engines, () -> false).orElseThrow();
        assertEquals("TLSv1.3", client.getProtocol());
        assertEquals("TLS_AES_128_GCM_SHA256", client.getCipherSuite());
        assertEquals("CN=ferry-destination", client.getPeerPrincipal().getName());
        assertEquals("CN=ferry-source", engines.server().getSession().getPeerPrincipal().getName());
    }

    @Test
    void oneServerPairPlaysBothRoles() throws Exception {
        Path serverOnly = copy(good, "server-only", "ca-cert.pem", "server-cert.pem", "server-key.pem");
        HandshakeWarmUp.Engines engines = TlsCredentials.load(serverOnly, Optional.empty()).warmUpEngines();
        SSLSession client = HandshakeWarmUp.run(engines, () -> false).orElseThrow();
        assertEquals("CN=ferry-destination", engines.server().getSession().getPeerPrincipal().getName());
        assertEquals("CN=ferry-destination", client.getPeerPrincipal().getName());
    }

    /** The warm-up verifies as a migration does: a client certificate of another CA ends it with the same refusal. */
    @Test
    void refusesAClientCertificateOfAnotherCa() throws Exception {
        Path mixed = copy(good, "mixed", "ca-cert.pem", "server-cert.pem", "server-key.pem");
        ScratchCredentials.newCa(dir.resolve("other-ca"), "other-ca").issue(mixed, ScratchCredentials.Role.CLIENT, "CN=ferry-source", "", false);
        HandshakeWarmUp.Engines engines = TlsCredentials.load(mixed, Optional.empty()).warmUpEngines();
        assertThrows(SSLHandshakeException.class, () -> HandshakeWarmUp.run(engines, () -> false));
    }

    @Test
    void stopsAtItsNextStepOnceAMigrationsHandshakeBegins() throws Exception {
        AtomicInteger asked = new AtomicInteger();
        HandshakeWarmUp.Engines engines = TlsCredentials.load(good, Optional.empty()).warmUpEngines();
        assertTrue(HandshakeWarmUp.run(engines, () -> asked.incrementAndGet() > 2).isEmpty());
        assertEquals(3, asked.get());
    }

    private Path copy(Path from, String name, String... files) throws IOException {
        Path to = Files.createDirectories(dir.resolve(name));
        for (String file : files) {
            Files.copy(from.resolve(file), to.resolve(file));
        }
        return to;
    }
}
