package dev.ferry.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * What arrives after a TLS handshake is the network's: any bytes fed to the record reader must end
 * the stream or be refused in one line ({@link TransportException}), and hand out nothing, since
 * no record passes without the session's keys. The same bytes cut into records and sealed with
 * the keys must come back whole, however the socket splits them. The keys are a real session's,
 * from one handshake with a real destination on loopback.
 */
class SealedRecordsFuzzTest {

    /** Made at the first input, not in a static initializer: its threads run this class's lambdas. */
    private static RecordKeys keys;

    @FuzzTest(maxDuration = "30s")
    void open(byte[] input) throws Exception {
        if (keys == null) {
            keys = handshake();
        }
        int piece = input.length == 0 ? 1 : 1 + (input[0] & 0xff);
        assertEquals(0, readAll(new MemoryChannel(ByteBuffer.wrap(input), piece)).length, "bytes handed out without a tag");

        MemoryChannel sealed = MemoryChannel.writeOnly();
        RecordSealer sealer = new RecordSealer(sealed, keys, RecordKeys.Direction.SOURCE_TO_DESTINATION);
        for (int at = 0; at < input.length; at += piece) {
            sealer.write(ByteBuffer.wrap(input, at, Math.min(piece, input.length - at)));
        }
        ByteArrayOutputStream records = new ByteArrayOutputStream();
        sealed.writes().forEach(records::writeBytes);
        assertArrayEquals(input, readAll(new MemoryChannel(ByteBuffer.wrap(records.toByteArray()), 1 + piece / 3)));
    }

    /** Reads to the end or the first refusal, which must be one line. */
    private static byte[] readAll(MemoryChannel channel) throws Exception {
        RecordOpener opener = new RecordOpener(channel, keys, RecordKeys.Direction.SOURCE_TO_DESTINATION, ByteBuffer.allocate(0));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer buffer = ByteBuffer.allocateDirect(4096);
        try {
            while (opener.read(buffer.clear()) >= 0) {
                out.write(copy(buffer.flip()));
            }
        } catch (TransportException refused) {
            if (refused.getMessage().contains("\n")) {
                throw new AssertionError("a refusal must be one line: " + refused.getMessage(), refused);
            }
        }
        return out.toByteArray();
    }

    private static byte[] copy(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return bytes;
    }

    /**
     * Both ends' handshakes over loopback tcp, with a generous limit: under the fuzzer's agent on a
     * loaded machine a handshake can take longer than a migration's 30 s.
     */
    private static RecordKeys handshake() {
        try {
            Path work = Files.createTempDirectory("ferry-records-fuzz");
            TlsCredentials tls = TlsCredentials.load(ScratchCredentials.newCa(work.resolve("ca"), "fuzz-ca").writeSet(work.resolve("set")),
                    Optional.empty());
            try (var files = Files.walk(work)) {
                files.sorted(Comparator.reverseOrder()).forEach(file -> file.toFile().delete());
            }
            try (ServerSocketChannel listener = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
                MigrationUri uri = new MigrationUri.Tcp("localhost", ((InetSocketAddress) listener.getLocalAddress()).getPort());
                CompletableFuture<Void> destination = CompletableFuture.runAsync(() -> {
                    try (MigrationChannel plain = new SocketMigrationChannel(uri, listener.accept())) {
                        TlsHandshake handshake = new TlsHandshake(plain, tls.serverEngine(uri));
                        run(handshake, plain);
                        handshake.admit((byte) 1);
                    } catch (IOException e) {
                        throw new IllegalStateException(e);
                    }
                });
                try (MigrationChannel plain = new SocketMigrationChannel(uri, SocketChannel.open(listener.getLocalAddress()))) {
                    TlsHandshake handshake = new TlsHandshake(plain, tls.clientEngine(uri));
                    run(handshake, plain);
                    assertEquals(1, handshake.admission());
                    destination.join();
                    return RecordKeys.of(handshake.session());
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("no TLS session to take record keys from: " + e.getMessage(), e);
        }
    }

    private static void run(TlsHandshake handshake, MigrationChannel plain) throws IOException {
        try (var watchdog = Watchdog.closing(plain, Duration.ofMinutes(5))) {
            handshake.run(watchdog);
        }
    }
}
