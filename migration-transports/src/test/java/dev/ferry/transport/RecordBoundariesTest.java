package dev.ferry.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntFunction;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where records meet the reads and writes around them: the sealer sends a write's short record
 * first; a stream cut into reads at every byte boundary comes back whole, whether records open
 * straight into the reader's buffer or pass through the opener's own; and a record refused while
 * opening straight into the reader's buffer hands out nothing and leaves none of its plaintext
 * there. The keys are a real session's, from one handshake with a real destination on loopback.
 */
class RecordBoundariesTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final int MAX = SealedRecords.MAX_PAYLOAD;
    private static final int OVERHEAD = SealedRecords.HEADER + SealedRecords.TAG;

    @TempDir
    static Path work;
    private static RecordKeys keys;

    @BeforeAll
    static void handshake() throws Exception {
        TlsCredentials tls = TlsCredentials.load(ScratchCredentials.newCa(work.resolve("ca"), "boundaries-ca").writeSet(work.resolve("set")),
                Optional.empty());
        try (MigrationListener listener = Transports.listen(MigrationUri.parse("tcp:127.0.0.1:0"), Optional.of(tls))) {
            CompletableFuture<MigrationChannel> destination = CompletableFuture.supplyAsync(() -> {
                try {
                    return listener.accept(TIMEOUT);
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            try (VerifiedSource source = VerifiedSource.connect((MigrationUri.Tcp) listener.boundUri(), tls)) {
                keys = source.keys();
                destination.get().close();
            }
        }
    }

    @Test
    void aWriteSendsItsShortRecordFirst() throws Exception {
        assertEquals(List.of(100 + OVERHEAD, MAX + OVERHEAD, MAX + OVERHEAD), recordSizes(2 * MAX + 100));
        assertEquals(List.of(MAX + OVERHEAD, MAX + OVERHEAD), recordSizes(2 * MAX));
        assertEquals(List.of(1 + OVERHEAD), recordSizes(1));
    }

    @Test
    void smallRecordsSplitAtEveryByteArriveWhole() throws Exception {
        byte[] data = pattern(61);
        byte[] sealed = seal(data, 16, 40, 5);
        for (int piece = 1; piece <= sealed.length; piece++) {
            for (int bufferSize : new int[] {1, 16, 45, 4096}) {
                String what = "reads of " + piece + " bytes into buffers of " + bufferSize;
                assertArrayEquals(data, readAll(sealed, piece, read -> ByteBuffer.allocateDirect(bufferSize)), what);
            }
            assertArrayEquals(data, readAll(sealed, piece, read -> ByteBuffer.allocate(45)), "reads of " + piece + " bytes into heap buffers");
        }
    }

    /** A frame as the migration stream's writer sends it, read back as its reader does: the header, then the body. */
    @Test
    void aFrameOfSeveralRecordsArrivesWholeHowEverTheSocketSplitsIt() throws Exception {
        byte[] frame = pattern(2 * MAX + 20);
        byte[] sealed = seal(frame, frame.length);
        for (int piece : new int[] {7, 19 + OVERHEAD, 20 + OVERHEAD, 21 + OVERHEAD, 65536, MAX + OVERHEAD, sealed.length}) {
            IntFunction<ByteBuffer> headerThenBody = read -> ByteBuffer.allocateDirect(read == 0 ? 16 : frame.length - 16);
            assertArrayEquals(frame, readAll(sealed, piece, headerThenBody), "reads of " + piece + " bytes");
        }
    }

    @Test
    void aRecordRefusedInTheReadersBufferLeavesNoPlaintextThere() throws Exception {
        byte[] data = new byte[1000];
        Arrays.fill(data, (byte) 0x5a);
        byte[] sealed = seal(data, data.length);
        sealed[SealedRecords.HEADER + 500] ^= 1;
        RecordOpener opener = opener(sealed, sealed.length);
        ByteBuffer buffer = ByteBuffer.allocateDirect(4096);
        TransportException refused = assertThrows(TransportException.class, () -> opener.read(buffer));
        assertTrue(refused.getMessage().contains("TLS record 0 failed its integrity check"), refused.getMessage());
        assertEquals(0, buffer.position(), "bytes handed out");
        for (int i = 0; i < buffer.capacity(); i++) {
            assertEquals(0, buffer.get(i), "byte " + i + " of the reader's buffer");
        }
        assertThrows(TransportException.class, () -> opener.read(buffer.clear()), "a refused stream stays refused");
    }

    private static List<Integer> recordSizes(int bytes) throws Exception {
        MemoryChannel sealed = MemoryChannel.writeOnly();
        new RecordSealer(sealed, keys, RecordKeys.Direction.SOURCE_TO_DESTINATION).write(ByteBuffer.allocateDirect(bytes));
        return sealed.writes().stream().map(record -> record.length).toList();
    }

    /** {@code data} sealed as consecutive writes of {@code writes} bytes (the last one takes the rest). */
    private static byte[] seal(byte[] data, int... writes) throws Exception {
        MemoryChannel channel = MemoryChannel.writeOnly();
        RecordSealer sealer = new RecordSealer(channel, keys, RecordKeys.Direction.SOURCE_TO_DESTINATION);
        int at = 0;
        for (int i = 0; i < writes.length; i++) {
            int length = i == writes.length - 1 ? data.length - at : writes[i];
            sealer.write(ByteBuffer.allocateDirect(length).put(data, at, length).flip());
            at += length;
        }
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        channel.writes().forEach(all::writeBytes);
        return all.toByteArray();
    }

    private static RecordOpener opener(byte[] sealed, int piece) throws Exception {
        return new RecordOpener(new MemoryChannel(ByteBuffer.wrap(sealed), piece), keys, RecordKeys.Direction.SOURCE_TO_DESTINATION,
                ByteBuffer.allocate(0));
    }

    /** Reads {@code sealed}, arriving {@code piece} bytes a read, to its end, into the buffers {@code buffers} makes (by read number). */
    private static byte[] readAll(byte[] sealed, int piece, IntFunction<ByteBuffer> buffers) throws Exception {
        RecordOpener opener = opener(sealed, piece);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        boolean ended = false;
        for (int read = 0; !ended; read++) {
            ByteBuffer buffer = buffers.apply(read);
            while (buffer.hasRemaining() && !ended) {
                ended = opener.read(buffer) < 0;
            }
            byte[] bytes = new byte[buffer.flip().remaining()];
            buffer.get(bytes);
            out.writeBytes(bytes);
        }
        return out.toByteArray();
    }

    private static byte[] pattern(int length) {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) {
            bytes[i] = (byte) (i * 31 + i / 251);
        }
        return bytes;
    }
}
