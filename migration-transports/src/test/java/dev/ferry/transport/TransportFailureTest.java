package dev.ferry.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/** Every failure the issue lists, each with a one-line message that starts with the URI. */
@ExtendWith(NoChildProcessLeft.class)
class TransportFailureTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @TempDir
    Path dir;


    @Test
    void refusedTcpConnection() throws IOException {
        int port;
        try (ServerSocketChannel probe = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0))) {
            port = ((InetSocketAddress) probe.getLocalAddress()).getPort();
        }
        String uri = "tcp:127.0.0.1:" + port;
        failsWith(uri + ": connection refused (nothing listens there)", () -> Transports.connect(uri, TIMEOUT));
    }

    @Test
    void connectNeedsARealHostAndPort() {
        failsWith("tcp::4444: a host is needed to connect", () -> Transports.connect("tcp::4444", TIMEOUT));
        failsWith("tcp:127.0.0.1:0: port 0 is only for listening", () -> Transports.connect("tcp:127.0.0.1:0", TIMEOUT));
        failsWith("tcp:no-such-host.invalid:4444: unknown host 'no-such-host.invalid'",
                () -> Transports.connect("tcp:no-such-host.invalid:4444", TIMEOUT));
    }

    @Test
    void missingUnixSocketFile() {
        Path socket = dir.resolve("absent.sock");
        failsWith("unix:" + socket + ": no socket file at " + socket,
                () -> Transports.connect("unix:" + socket, TIMEOUT));
    }

    @Test
    void unixListenerRefusesToReplaceARegularFile() throws IOException {
        Path file = Files.writeString(dir.resolve("precious"), "data");
        failsWith("unix:" + file + ": " + file + " exists and is not a socket", () -> Transports.listen("unix:" + file));
        assertEquals("data", Files.readString(file));
    }

    @Test
    void listenerThatAcceptsNothingReportsItAndCleansUp() throws IOException {
        try (MigrationListener listener = Transports.listen("tcp:127.0.0.1:0")) {
            failsWith(listener.boundUri() + ": no incoming connection within 200 ms",
                    () -> listener.accept(Duration.ofMillis(200)));
        }
        Path socket = dir.resolve("idle.sock");
        try (MigrationListener listener = Transports.listen("unix:" + socket)) {
            failsWith("unix:" + socket + ": no incoming connection within 100 ms",
                    () -> listener.accept(Duration.ofMillis(100)));
            assertFalse(Files.exists(socket), "socket file left after a failed accept");
        }
    }

    @Test
    void descriptorThatIsNotOpen() {
        failsWith("fd:987654: descriptor 987654 is not open in this process",
                () -> Transports.connect("fd:987654", TIMEOUT));
        failsWith("fd:987654: descriptor 987654 is not open in this process", () -> Transports.listen("fd:987654"));
    }

    @Test
    void writingToAClosedPipe() throws Throwable {
        int[] pair = TestFds.socketPair();
        LibC.close(pair[1]);
        try (MigrationChannel out = Transports.connect("fd:" + pair[0], TIMEOUT)) {
            failsWith("fd:" + pair[0] + ": write failed: EPIPE (the other side closed the pipe or socket)",
                    () -> out.write(ByteBuffer.allocateDirect(1 << 20)));
        }
    }

    @Test
    void writingToAClosedTcpConnection() throws IOException {
        try (MigrationListener listener = Transports.listen("tcp:127.0.0.1:0");
                MigrationChannel out = Transports.connect(listener.boundUri(), TIMEOUT)) {
            listener.accept(TIMEOUT).close();
            ByteBuffer chunk = ByteBuffer.allocateDirect(1 << 20);
            failsWith(listener.boundUri() + ": write failed after ", () -> {
                for (int i = 0; i < 1024; i++) {
                    out.write(chunk.clear());
                }
            });
        }
    }

    @Test
    void outgoingCommandThatFailsReportsItsStatusAndStderr() {
        String uri = "exec:echo no space on backup volume >&2; exit 3";
        failsWith(uri + ": command exited with status 3: no space on backup volume", () -> {
            try (MigrationChannel out = Transports.connect(uri, TIMEOUT)) {
                out.write(ByteBuffer.allocateDirect(4096));
            }
        });
    }

    @Test
    void outgoingCommandThatStopsReadingFailsTheWrite() throws IOException {
        String uri = "exec:head -c 10 >/dev/null; echo gave up >&2; exit 4";
        try (MigrationChannel out = Transports.connect(uri, TIMEOUT)) {
            ByteBuffer chunk = ByteBuffer.allocateDirect(1 << 20);
            failsWith(uri + ": command exited with status 4: gave up", () -> {
                for (int i = 0; i < 1024; i++) {
                    out.write(chunk.clear());
                }
            });
        } catch (TransportException expectedAgainAtClose) {
            assertTrue(expectedAgainAtClose.getMessage().contains("status 4"));
        }
    }

    @Test
    void incomingCommandThatFailsReportsItsStatusAndStderr() throws IOException {
        Path missing = dir.resolve("missing.mig.gz");
        String uri = "exec:gunzip -c " + missing;
        try (MigrationListener listener = Transports.listen(uri)) {
            MigrationChannel in = listener.accept(TIMEOUT);
            failsWith(uri + ": command exited with status 1: gzip: " + missing + ": No such file or directory",
                    () -> in.read(ByteBuffer.allocate(4096)));
            failsWith(uri + ": command exited with status 1", in::close);
        }
    }

    @Test
    void unknownCommand() {
        String uri = "exec:ferry-no-such-command";
        failsWith(uri + ": command exited with status 127: /bin/sh: 1: ferry-no-such-command: not found", () -> {
            try (MigrationListener listener = Transports.listen(uri); MigrationChannel in = listener.accept(TIMEOUT)) {
                Streams.receive(in);
            }
        });
    }

    @Test
    void oneShotListenerHandsOverOneChannel() throws IOException {
        try (MigrationListener listener = Transports.listen("exec:true")) {
            listener.accept(TIMEOUT).close();
            failsWith("exec:true: already accepted or closed", () -> listener.accept(TIMEOUT));
        }
    }

    private static void failsWith(String expectedStart, Executable action) {
        TransportException e = assertThrows(TransportException.class, action);
        assertTrue(e.getMessage().startsWith(expectedStart),
                () -> "expected a message starting with\n  " + expectedStart + "\nbut got\n  " + e.getMessage());
        assertFalse(e.getMessage().contains("\n"), () -> "message is not one line: " + e.getMessage());
    }
}
