package dev.ferry.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Each scheme, both directions, 64 MiB of random data whose checksum must arrive intact. */
@ExtendWith(NoChildProcessLeft.class)
class TransportRoundTripTest {

    private static final long BYTES = 64L << 20;
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    @TempDir
    Path dir;


    @Test
    void tcpConnectorSendsToListener() throws Exception {
        try (MigrationListener listener = Transports.listen("tcp:127.0.0.1:0")) {
            MigrationUri bound = listener.boundUri();
            assertTrue(((MigrationUri.Tcp) bound).port() > 0, "port 0 must come back as the real port");
            sendingSideConnects(listener, bound);
        }
    }

    @Test
    void tcpListenerSendsToConnector() throws Exception {
        try (MigrationListener listener = Transports.listen("tcp::0")) {
            int port = ((MigrationUri.Tcp) listener.boundUri()).port();
            sendingSideListens(listener, new MigrationUri.Tcp("127.0.0.1", port));
        }
    }

    @Test
    void tcpOverIpv6Loopback() throws Exception {
        try (MigrationListener listener = Transports.listen("tcp:[::1]:0")) {
            assertTrue(listener.boundUri().toString().startsWith("tcp:[::1]:"));
            sendingSideConnects(listener, listener.boundUri());
        }
    }

    @Test
    void unixBothDirectionsRemoveTheSocketFile() throws Exception {
        Path socket = dir.resolve("mig.sock");
        MigrationUri uri = new MigrationUri.Unix(socket);
        try (MigrationListener listener = Transports.listen(uri)) {
            assertTrue(Files.exists(socket));
            sendingSideConnects(listener, uri);
        }
        assertFalse(Files.exists(socket), "socket file left after accept");
        try (MigrationListener listener = Transports.listen(uri)) {
            sendingSideListens(listener, uri);
        }
        assertFalse(Files.exists(socket), "socket file left after accept");
    }

    @Test
    void fdOverSocketPairBothDirections() throws Throwable {
        int[] pair = TestFds.socketPair();
        try (MigrationListener listener = Transports.listen(new MigrationUri.Fd(pair[1]))) {
            sendingSideConnects(listener, new MigrationUri.Fd(pair[0]));
        }
        assertFalse(TestFds.isOpen(pair[0]) || TestFds.isOpen(pair[1]), "descriptors must be closed with the channel");

        pair = TestFds.socketPair();
        try (MigrationListener listener = Transports.listen("fd:" + pair[1])) {
            sendingSideListens(listener, new MigrationUri.Fd(pair[0]));
        }
    }

    @Test
    void fdOverPipe() throws Exception {
        int[] pipe = TestFds.pipe();
        try (MigrationListener listener = Transports.listen(new MigrationUri.Fd(pipe[0]))) {
            sendingSideConnects(listener, new MigrationUri.Fd(pipe[1]));
        }
    }

    @Test
    void execSavesToAFileThroughGzipAndRestoresThroughGunzip() throws Exception {
        Path image = dir.resolve("vm.mig.gz");
        long bytes = 16L << 20; // gzip, not the transport, sets the pace here
        Streams.Digest sent;
        try (MigrationChannel out = Transports.connect("exec:gzip -1 -c > '" + image + "'", TIMEOUT)) {
            sent = Streams.send(out, 42, bytes);
        }
        byte[] magic = new byte[2];
        try (var in = Files.newInputStream(image)) {
            assertEquals(2, in.read(magic));
        }
        assertArrayEquals(new byte[] {0x1f, (byte) 0x8b}, magic, "the file must be gzip's output");

        Streams.Digest received;
        try (MigrationListener listener = Transports.listen("exec:gunzip -c '" + image + "'");
                MigrationChannel in = listener.accept(TIMEOUT)) {
            received = Streams.receive(in);
        }
        assertEquals(sent, received);
    }

    /** The connecting side sends and closes; the accepted channel must read exactly that. */
    private static void sendingSideConnects(MigrationListener listener, MigrationUri target) throws Exception {
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<Streams.Digest> sent = pool.submit(() -> {
                try (MigrationChannel out = Transports.connect(target, TIMEOUT)) {
                    assertEquals(target, out.uri());
                    return Streams.send(out, 7, BYTES);
                }
            });
            Streams.Digest received;
            try (MigrationChannel in = listener.accept(TIMEOUT)) {
                received = Streams.receive(in);
            }
            assertEquals(sent.get(), received);
            assertEquals(BYTES, received.bytes());
        }
    }

    /** The accepted channel sends and closes; the connecting side must read exactly that. */
    private static void sendingSideListens(MigrationListener listener, MigrationUri target) throws Exception {
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            CompletableFuture<Streams.Digest> received = new CompletableFuture<>();
            pool.submit(() -> {
                try (MigrationChannel in = Transports.connect(target, TIMEOUT)) {
                    received.complete(Streams.receive(in));
                } catch (Throwable t) {
                    received.completeExceptionally(t);
                }
            });
            Streams.Digest sent;
            try (MigrationChannel out = listener.accept(TIMEOUT)) {
                sent = Streams.send(out, 9, BYTES);
            }
            assertEquals(sent, received.get());
        }
    }
}
