package dev.ferry.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.transport.ScratchCredentials;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS between real {@code ferry run} processes (item 1 of issue 17 in the fault suite): a verified
 * source migrates in; a plain source, a source of another CA, and a TLS source facing a plain
 * destination are each refused in the handshake, both sides say why in one line, the destination
 * never starts a VM nor leaves an image, and the source keeps running.
 */
class TlsHandshakeFaultIT {

    private static final Duration OUTCOME = Duration.ofSeconds(90);

    @TempDir
    static Path credentials;
    private static Path good;
    private static Path otherCa;

    @TempDir
    Path dir;

    @BeforeAll
    static void makeCredentials() throws Exception {
        good = ScratchCredentials.newCa(credentials.resolve("ca"), "fault-ca").writeSet(credentials.resolve("good"));
        otherCa = ScratchCredentials.newCa(credentials.resolve("other-ca"), "other-ca").writeSet(credentials.resolve("other"));
    }

    @AfterAll
    static void summary() {
        FaultSummary.write();
    }

    @Test
    void verifiedSourceMigratesIn() throws Exception {
        FaultSummary.repeat("TLS, verified source", 1, run -> {
            try (Pair pair = Pair.start(dir, good, good)) {
                assertEquals(List.of(), pair.source().command("migrate -d -b " + pair.destination().incomingUri()));
                String status = LiveMigrationRig.awaitStatus(pair.source(), s -> !s.matches("Migration status: (setup|active|device)"), OUTCOME);
                assertEquals("Migration status: completed", status, () -> pair.destination().stderr());
                assertEquals("VM status: running", pair.destination().answer("info status"));
            }
        });
    }

    @Test
    void plainSourceIsRefused() throws Exception {
        FaultSummary.repeat("TLS, plain source", 1, run -> {
            try (Pair pair = Pair.start(dir, good, null)) {
                assertEquals(List.of(), pair.source().command("migrate -d -b " + pair.destination().incomingUri()));
                pair.assertDestinationRefused("TLS handshake failed: the source does not speak TLS (a source without --tls-creds?)");
                String status = LiveMigrationRig.awaitStatus(pair.source(), s -> !s.matches("Migration status: (setup|active|device)"), OUTCOME);
                assertTrue(status.startsWith("Migration status: failed"), status);
                assertEquals("VM status: running", pair.source().answer("info status"));
            }
        });
    }

    @Test
    void sourceOfAnotherCaIsRefused() throws Exception {
        FaultSummary.repeat("TLS, source of another CA", 1, run -> {
            try (Pair pair = Pair.start(dir, good, otherCa)) {
                List<String> answer = pair.source().command("migrate -d -b " + pair.destination().incomingUri());
                assertEquals(1, answer.size(), answer.toString());
                assertTrue(answer.getFirst().contains("TLS handshake failed: the destination's certificate is not signed by the CA"),
                        answer.getFirst());
                pair.assertDestinationRefused("TLS handshake failed: the source refused this destination's certificate");
                assertEquals("VM status: running", pair.source().answer("info status"));
            }
        });
    }

    @Test
    void tlsSourceFacingPlainDestinationStops() throws Exception {
        FaultSummary.repeat("TLS source, plain destination", 1, run -> {
            try (Pair pair = Pair.start(dir, null, good)) {
                List<String> answer = pair.source().command("migrate -d -b " + pair.destination().incomingUri());
                assertEquals(1, answer.size(), answer.toString());
                // it answers the ClientHello with a NACK frame, or just closes; either way the source says what is likely
                assertTrue(answer.getFirst().contains("TLS handshake failed: the destination ")
                        && answer.getFirst().endsWith("(a destination without --tls-creds?)"), answer.getFirst());
                pair.assertDestinationRefused("");
                assertEquals("VM status: running", pair.source().answer("info status"));
            }
        });
    }

    /** A source with an 8 MiB random disk and an idle workload, and a destination waiting on tcp; either may run TLS. */
    private record Pair(FerryProcess source, FerryProcess destination, Path destinationDir) implements AutoCloseable {

        static Pair start(Path dir, Path destinationTls, Path sourceTls) throws Exception {
            Path logs = Files.createDirectory(dir.resolve("logs"));
            Path sourceDir = Files.createDirectory(dir.resolve("source"));
            Path destinationDir = Files.createDirectory(dir.resolve("destination"));
            LiveMigrationRig.fillRandom(sourceDir.resolve("disk.img"), 8L << 20, 17);
            FerryProcess destination = FerryProcess.start("tls-destination", destinationDir, logs,
                    args(destinationTls, "--disk", destinationDir.resolve("disk.img") + ",format=raw", "--incoming", "tcp:127.0.0.1:0"));
            try {
                destination.incomingUri();
                FerryProcess source = FerryProcess.start("tls-source", sourceDir, logs,
                        args(sourceTls, "--disk", sourceDir.resolve("disk.img") + ",format=raw", "--workload-rate", "0"));
                return new Pair(source, destination, destinationDir);
            } catch (Exception | AssertionError e) {
                destination.close();
                throw e;
            }
        }

        private static String[] args(Path tls, String... args) {
            List<String> all = new ArrayList<>(List.of(args));
            if (tls != null) {
                all.addAll(List.of("--tls-creds", tls.toString()));
            }
            return all.toArray(String[]::new);
        }

        /** Exit 1 with the one line naming {@code reason}, no VM, nothing left in its folder. */
        void assertDestinationRefused(String reason) throws Exception {
            assertEquals(1, destination.awaitExit(OUTCOME), destination.stderr());
            String stderr = destination.stderr();
            assertTrue(stderr.contains("ferry: incoming migration failed: ") && stderr.contains(reason), stderr);
            assertTrue(!stderr.contains("incoming migration done") && !stderr.contains("Exception"), stderr);
            assertEquals(List.of(), LiveMigrationRig.list(destinationDir), "the destination left files behind");
        }

        @Override
        public void close() throws InterruptedException {
            source.close();
            destination.close();
        }
    }
}
