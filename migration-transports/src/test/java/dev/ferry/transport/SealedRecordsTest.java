package dev.ferry.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The records after the TLS handshake, attacked by a source that holds the session's keys but
 * sends what it likes: a real destination (a TLS listener on loopback) must hand out every record
 * before the first altered one and then refuse, whatever was altered: a payload byte, the length
 * header, a dropped, replayed or reordered record, records of another connection, an oversized
 * claim. The same forger sending its records unaltered is read back whole, so each refusal is the
 * alteration's.
 */
class SealedRecordsTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final int RECORDS = 4;
    private static final int PAYLOAD = 1000;

    @TempDir
    static Path work;
    private static TlsCredentials tls;

    @BeforeAll
    static void makeCredentials() throws IOException {
        tls = TlsCredentials.load(ScratchCredentials.newCa(work.resolve("ca"), "ferry-test-ca").writeSet(work.resolve("good")),
                Optional.empty());
    }

    @Test
    void unalteredRecordsArriveWhole() throws Exception {
        Received received = send(records -> records);
        assertArrayEquals(payloads(RECORDS), received.bytes());
        assertEquals(Optional.empty(), received.failure());
    }

    @Test
    void aFlippedPayloadByteIsRefused() throws Exception {
        assertRefusedAt(2, send(records -> {
            records.get(2)[SealedRecords.HEADER + 10] ^= 1;
            return records;
        }));
    }

    @Test
    void aShortenedRecordIsRefused() throws Exception {
        assertRefusedAt(2, send(records -> {
            byte[] cut = Arrays.copyOf(records.get(2), records.get(2).length - 1);
            ByteBuffer.wrap(cut).putInt(0, PAYLOAD - 1);
            records.set(2, cut);
            return records;
        }));
    }

    @Test
    void aDroppedRecordIsRefused() throws Exception {
        assertRefusedAt(1, send(records -> {
            records.remove(1);
            return records;
        }));
    }

    @Test
    void aReplayedRecordIsRefused() throws Exception {
        assertRefusedAt(1, send(records -> {
            records.add(1, records.getFirst().clone());
            return records;
        }));
    }

    @Test
    void reorderedRecordsAreRefused() throws Exception {
        assertRefusedAt(1, send(records -> {
            records.add(1, records.remove(2));
            return records;
        }));
    }

    @Test
    void recordsSealedForAnotherConnectionAreRefused() throws Exception {
        List<byte[]> other = new ArrayList<>();
        try (MigrationListener listener = Transports.listen(MigrationUri.parse("tcp:127.0.0.1:0"), Optional.of(tls))) {
            CompletableFuture<Received> destination = CompletableFuture.supplyAsync(() -> receive(listener));
            try (VerifiedSource forger = VerifiedSource.connect((MigrationUri.Tcp) listener.boundUri(), tls)) {
                other.addAll(seal(forger));
            }
            destination.join();
        }
        assertRefusedAt(0, send(records -> other));
    }

    @Test
    void anOversizedClaimIsRefusedBeforeAnythingIsRead() throws Exception {
        Received received = send(records -> {
            ByteBuffer.wrap(records.get(1)).putInt(0, SealedRecords.MAX_PAYLOAD + 1);
            return records;
        });
        assertArrayEquals(Arrays.copyOf(payloads(RECORDS), PAYLOAD), received.bytes());
        assertTrue(received.failure().orElseThrow().getMessage().contains("TLS record 1 claims 1048577 bytes"),
                received.failure().toString());
    }

    /** The warm-up's cipher runs on its own key: a session's records after it open, and an altered one is refused. */
    @Test
    void afterTheCipherWarmUpRecordsOpenAndAnAlteredOneIsRefused() throws Exception {
        assertEquals(CipherWarmUp.RECORDS, CipherWarmUp.run(CipherWarmUp.RECORDS, () -> false));
        Received received = send(records -> records);
        assertArrayEquals(payloads(RECORDS), received.bytes());
        assertEquals(Optional.empty(), received.failure());
        assertRefusedAt(3, send(records -> {
            records.get(3)[SealedRecords.HEADER + PAYLOAD - 1] ^= (byte) 0x80;
            return records;
        }));
    }

    @Test
    void eachDirectionAndEachEpochHasItsOwnKey() throws Exception {
        try (MigrationListener listener = Transports.listen(MigrationUri.parse("tcp:127.0.0.1:0"), Optional.of(tls))) {
            CompletableFuture<Received> destination = CompletableFuture.supplyAsync(() -> receive(listener));
            try (VerifiedSource forger = VerifiedSource.connect((MigrationUri.Tcp) listener.boundUri(), tls)) {
                byte[] first = forger.keys().key(RecordKeys.Direction.SOURCE_TO_DESTINATION, 0).getEncoded();
                assertEquals(16, first.length);
                assertArrayEquals(first, forger.keys().key(RecordKeys.Direction.SOURCE_TO_DESTINATION, 0).getEncoded());
                assertNotEquals(ByteBuffer.wrap(first), ByteBuffer.wrap(forger.keys().key(RecordKeys.Direction.SOURCE_TO_DESTINATION, 1).getEncoded()));
                assertNotEquals(ByteBuffer.wrap(first), ByteBuffer.wrap(forger.keys().key(RecordKeys.Direction.DESTINATION_TO_SOURCE, 0).getEncoded()));
            }
            destination.join();
        }
    }

    /** Both ends change keys at the same record: a stream of more records than one key seals arrives whole. */
    @Test
    void aStreamLongerThanOneKeyArrivesWhole() throws Exception {
        int records = (int) SealedRecords.RECORDS_PER_KEY + 100;
        try (MigrationListener listener = Transports.listen(MigrationUri.parse("tcp:127.0.0.1:0"), Optional.of(tls))) {
            CompletableFuture<Received> destination = CompletableFuture.supplyAsync(() -> receive(listener));
            try (MigrationChannel source = Transports.connect(listener.boundUri(), TIMEOUT, Optional.of(tls))) {
                for (int i = 0; i < records; i++) {
                    source.write(ByteBuffer.wrap(new byte[] {(byte) i}));
                }
                source.shutdownOutput();
            }
            Received received = destination.join();
            assertEquals(Optional.empty(), received.failure());
            assertEquals(records, received.bytes().length);
            for (int i = 0; i < records; i++) {
                assertEquals((byte) i, received.bytes()[i], "byte " + i);
            }
        }
    }

    private static void assertRefusedAt(int record, Received received) {
        assertArrayEquals(Arrays.copyOf(payloads(RECORDS), record * PAYLOAD), received.bytes(), "what came before the altered record");
        TransportException failure = assertInstanceOf(TransportException.class, received.failure().orElseThrow());
        assertTrue(failure.getMessage().contains("TLS record " + record + " failed its integrity check"), failure.getMessage());
    }

    /** Record {@code i}'s payload is {@value #PAYLOAD} bytes of {@code i + 1}. */
    private static byte[] payloads(int records) {
        byte[] all = new byte[records * PAYLOAD];
        for (int i = 0; i < records; i++) {
            Arrays.fill(all, i * PAYLOAD, (i + 1) * PAYLOAD, (byte) (i + 1));
        }
        return all;
    }

    /** A forger seals {@value #RECORDS} records, {@code alter} rearranges them, and a real destination reads what is sent. */
    private static Received send(UnaryOperator<List<byte[]>> alter) throws Exception {
        try (MigrationListener listener = Transports.listen(MigrationUri.parse("tcp:127.0.0.1:0"), Optional.of(tls))) {
            CompletableFuture<Received> destination = CompletableFuture.supplyAsync(() -> receive(listener));
            try (VerifiedSource forger = VerifiedSource.connect((MigrationUri.Tcp) listener.boundUri(), tls)) {
                try {
                    for (byte[] record : alter.apply(seal(forger))) {
                        forger.plain().write(ByteBuffer.wrap(record));
                    }
                    forger.plain().shutdownOutput();
                } catch (TransportException e) {
                    // the destination hung up after refusing a record: what it read says the rest
                }
                return destination.get();
            }
        }
    }

    /** The {@value #RECORDS} test records as {@code source} seals them, one write each, not sent. */
    private static List<byte[]> seal(VerifiedSource source) throws Exception {
        MemoryChannel sealed = MemoryChannel.writeOnly();
        RecordSealer sealer = new RecordSealer(sealed, source.keys(), RecordKeys.Direction.SOURCE_TO_DESTINATION);
        byte[] all = payloads(RECORDS);
        for (int i = 0; i < RECORDS; i++) {
            sealer.write(ByteBuffer.wrap(all, i * PAYLOAD, PAYLOAD));
        }
        return new ArrayList<>(sealed.writes());
    }

    /** What the destination read before the end of the stream or its first failure. */
    private record Received(byte[] bytes, Optional<IOException> failure) {
    }

    private static Received receive(MigrationListener listener) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (MigrationChannel channel = listener.accept(TIMEOUT)) {
            ByteBuffer buffer = ByteBuffer.allocate(PAYLOAD / 3);
            while (channel.read(buffer.clear()) >= 0) {
                bytes.write(buffer.array(), 0, buffer.position());
            }
            return new Received(bytes.toByteArray(), Optional.empty());
        } catch (IOException e) {
            return new Received(bytes.toByteArray(), Optional.of(e));
        }
    }
}
