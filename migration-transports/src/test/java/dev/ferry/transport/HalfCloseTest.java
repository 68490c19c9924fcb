package dev.ferry.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each transport's half-close: the peer reads everything sent and then end of stream while both
 * ends are still open, and it can still answer, which the half-closed end reads. A pipe has no way
 * back: there, the reader (or the exec command) seeing end of stream is the whole point.
 */
@ExtendWith(NoChildProcessLeft.class)
class HalfCloseTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    private static final long BYTES = 4L << 20;
    private static final byte[] ANSWER = "the last word".getBytes(StandardCharsets.US_ASCII);

    @TempDir
    static Path work;
    /** keytool is slow on a busy machine: one set of credentials for both TLS cases. */
    private static Optional<TlsCredentials> tls;

    @TempDir
    Path dir;

    @BeforeAll
    static void makeCredentials() throws Exception {
        ScratchCredentials ca = ScratchCredentials.newCa(work.resolve("ca"), "ferry-half-close-ca");
        tls = Optional.of(TlsCredentials.load(ca.writeSet(work.resolve("creds")), Optional.empty()));
    }

    @Test
    void tcp() throws Exception {
        try (MigrationListener listener = Transports.listen("tcp:127.0.0.1:0")) {
            peerReadsEndOfStreamAndAnswers(listener, listener.boundUri(), Optional.empty());
        }
    }

    @Test
    void unix() throws Exception {
        MigrationUri uri = new MigrationUri.Unix(dir.resolve("mig.sock"));
        try (MigrationListener listener = Transports.listen(uri)) {
            peerReadsEndOfStreamAndAnswers(listener, uri, Optional.empty());
        }
    }

    @Test
    void tlsOverTcp() throws Exception {
        try (MigrationListener listener = Transports.listen(MigrationUri.parse("tcp:127.0.0.1:0"), tls)) {
            peerReadsEndOfStreamAndAnswers(listener, listener.boundUri(), tls);
        }
    }

    @Test
    void tlsOverUnix() throws Exception {
        MigrationUri uri = new MigrationUri.Unix(dir.resolve("tls.sock"));
        try (MigrationListener listener = Transports.listen(uri, tls)) {
            peerReadsEndOfStreamAndAnswers(listener, uri, tls);
        }
    }

    @Test
    void fdOverSocketPair() throws Throwable {
        int[] pair = TestFds.socketPair();
        try (MigrationListener listener = Transports.listen(new MigrationUri.Fd(pair[1]))) {
            peerReadsEndOfStreamAndAnswers(listener, new MigrationUri.Fd(pair[0]), Optional.empty());
        }
    }

    /** A pipe's descriptor is one-way: its half-close closes it, and the reading end sees end of stream. */
    @Test
    void fdOverPipeClosesTheWritingEnd() throws Exception {
        int[] pipe = TestFds.pipe();
        try (MigrationListener listener = Transports.listen(new MigrationUri.Fd(pipe[0]));
                MigrationChannel out = Transports.connect(new MigrationUri.Fd(pipe[1]), TIMEOUT)) {
            Streams.Digest sent = Streams.send(out, 3, 64 << 10);
            out.shutdownOutput();
            assertFalse(TestFds.isOpen(pipe[1]), "the pipe's writing end must be closed");
            try (MigrationChannel in = listener.accept(TIMEOUT)) {
                assertEquals(sent, Streams.receive(in));
            }
        }
    }

    /** The command reads its stdin to the end and finishes while the channel is still open. */
    @Test
    void execEndsTheCommandsInput() throws Exception {
        Path count = dir.resolve("count");
        try (MigrationChannel out = Transports.connect("exec:wc -c > '" + count + "'", TIMEOUT)) {
            Streams.send(out, 5, BYTES);
            out.shutdownOutput();
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (!Files.readString(count).endsWith("\n") && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(String.valueOf(BYTES), Files.readString(count).strip(), "the command saw the end of its input");
        }
    }

    /** We send, half-close, and read the answer the peer writes only after it read our end of stream. */
    private static void peerReadsEndOfStreamAndAnswers(MigrationListener listener, MigrationUri target,
                                                       Optional<TlsCredentials> tls) throws Exception {
        CompletableFuture<Streams.Digest> received = CompletableFuture.supplyAsync(() -> {
            try (MigrationChannel peer = listener.accept(TIMEOUT)) {
                Streams.Digest digest = Streams.receive(peer);
                peer.write(ByteBuffer.wrap(ANSWER));
                return digest;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        try (MigrationChannel out = Transports.connect(target, TIMEOUT, tls)) {
            Streams.Digest sent = Streams.send(out, 11, BYTES);
            out.shutdownOutput();
            assertEquals(sent, received.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS), "the peer read all, then end of stream");
            ByteBuffer answer = ByteBuffer.allocate(64);
            while (out.read(answer) >= 0) {
                // the answer, then the peer's end of stream
            }
            assertEquals(new String(ANSWER, StandardCharsets.US_ASCII),
                    new String(answer.array(), 0, answer.position(), StandardCharsets.US_ASCII));
        }
    }
}
