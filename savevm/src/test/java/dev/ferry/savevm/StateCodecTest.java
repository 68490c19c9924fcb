package dev.ferry.savevm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.savevm.codec.StateCodec;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class StateCodecTest {

    /** Same components as DeviceSection.Queue but one renamed: a different wire contract. */
    record RenamedQueue(long address, int length, boolean ready) {
    }

    record Queue(long address, int size, boolean ready) {
    }

    record Flags(boolean on, Optional<String> label) {
    }

    record Counters(int[] seqs, long[] totals) {
    }

    record Positive(int value) {
        Positive {
            if (value <= 0) {
                throw new IllegalArgumentException("value " + value + " is not positive");
            }
        }
    }

    record Nested(java.util.List<Optional<Counters>> items, Positive positive) {
    }

    @Test
    void largeArraysTravelLittleEndianAndWhole() throws Exception {
        int[] seqs = new int[262_144];
        for (int i = 0; i < seqs.length; i++) {
            seqs[i] = i * 31 - 7;
        }
        long[] totals = {Long.MIN_VALUE, -1, 0x0102030405060708L};
        byte[] bytes = StateCodec.encode(new Counters(seqs, totals));
        assertEquals(4 + 4 + 4 * seqs.length + 4 + 8 * totals.length, bytes.length);
        ByteBuffer wire = ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        assertEquals(seqs.length, wire.getInt(4));
        assertEquals(seqs[12345], wire.getInt(8 + 4 * 12345));
        Counters back = StateCodec.decode(Counters.class, ByteBuffer.allocateDirect(bytes.length).put(bytes).flip(), Phase.LOAD);
        assertArrayEquals(seqs, back.seqs());
        assertArrayEquals(totals, back.totals());
    }

    @Test
    void preparedTypesStillRoundTripAndARecordsOwnCheckStillRefuses() throws Exception {
        StateCodec.prepare(Nested.class);
        Nested nested = new Nested(java.util.List.of(Optional.of(new Counters(new int[] {1, 2}, new long[0])), Optional.empty()),
                new Positive(3));
        Nested back = StateCodec.decode(Nested.class, ByteBuffer.wrap(StateCodec.encode(nested)), Phase.LOAD);
        assertArrayEquals(new int[] {1, 2}, back.items().getFirst().orElseThrow().seqs());
        assertEquals(Optional.empty(), back.items().get(1));
        assertEquals(3, back.positive().value());

        byte[] bytes = StateCodec.encode(new Positive(5));
        ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(4, -5);
        MigrationException e = assertThrows(MigrationException.class,
                () -> StateCodec.decode(Positive.class, ByteBuffer.wrap(bytes), Phase.LOAD));
        assertEquals("state Positive: Positive refused the decoded values: value -5 is not positive", e.getMessage());
    }

    @Test
    void roundTripKeepsEveryComponent() throws Exception {
        DeviceSection.State state = DeviceSection.sample();
        DeviceSection.assertSameState(state,
                StateCodec.decode(DeviceSection.State.class, ByteBuffer.wrap(StateCodec.encode(state)), Phase.LOAD));
    }

    @Test
    void encodingIsDeterministicLittleEndianInComponentOrder() {
        byte[] bytes = StateCodec.encode(new Queue(0x0102030405060708L, 0x0a0b0c0d, true));
        assertEquals(4 + 8 + 4 + 1, bytes.length);
        assertArrayEquals(new byte[] {8, 7, 6, 5, 4, 3, 2, 1, 0x0d, 0x0c, 0x0b, 0x0a, 1}, Arrays.copyOfRange(bytes, 4, bytes.length));
        assertArrayEquals(bytes, StateCodec.encode(new Queue(0x0102030405060708L, 0x0a0b0c0d, true)));
    }

    @Test
    void aDifferentRecordShapeIsRefused() {
        byte[] bytes = StateCodec.encode(new Queue(1, 2, true));
        MigrationException e = assertThrows(MigrationException.class,
                () -> StateCodec.decode(RenamedQueue.class, ByteBuffer.wrap(bytes), Phase.LOAD));
        assertTrue(e.getMessage().startsWith("record RenamedQueue: shape differs from the sender's"), e.getMessage());
    }

    @Test
    void truncatedRecordIsRefused() {
        byte[] bytes = StateCodec.encode(new Queue(1, 2, true));
        MigrationException e = assertThrows(MigrationException.class,
                () -> StateCodec.decode(Queue.class, ByteBuffer.wrap(bytes, 0, bytes.length - 2), Phase.LOAD));
        assertEquals("record Queue: truncated (15 bytes)", e.getMessage());
    }

    @Test
    void changedBytesAreRefusedNotApplied() {
        byte[] bytes = StateCodec.encode(new Flags(true, Optional.of("x")));
        byte[] badBoolean = bytes.clone();
        badBoolean[4] = 2;
        MigrationException e = assertThrows(MigrationException.class,
                () -> StateCodec.decode(Flags.class, ByteBuffer.wrap(badBoolean), Phase.LOAD));
        assertEquals("state Flags.on: boolean byte is 2, not 0 or 1", e.getMessage());

        byte[] hugeLength = bytes.clone();
        hugeLength[6] = (byte) 0xff;
        hugeLength[9] = (byte) 0x7f;
        e = assertThrows(MigrationException.class, () -> StateCodec.decode(Flags.class, ByteBuffer.wrap(hugeLength), Phase.LOAD));
        assertTrue(e.getMessage().startsWith("state Flags.label.get(): length 2130706687 exceeds the 1 bytes left"), e.getMessage());
    }

    @Test
    void leftoverBytesAreRefused() {
        byte[] bytes = Arrays.copyOf(StateCodec.encode(new Queue(1, 2, false)), 4 + 13 + 3);
        MigrationException e = assertThrows(MigrationException.class,
                () -> StateCodec.decode(Queue.class, ByteBuffer.wrap(bytes), Phase.LOAD));
        assertEquals("record Queue: 3 bytes left after decoding", e.getMessage());
    }

    @Test
    void aFailureNamesItsPathThroughListsAndOptionals() {
        Nested nested = new Nested(java.util.List.of(Optional.empty(), Optional.of(new Counters(new int[] {7}, new long[0]))),
                new Positive(1));
        byte[] bytes = StateCodec.encode(nested);
        // shape hash, the list's count, items[0]'s marker, items[1]'s marker, then its seqs' count
        bytes[4 + 4 + 1 + 1 + 3] = 0x7f;
        MigrationException e = assertThrows(MigrationException.class,
                () -> StateCodec.decode(Nested.class, ByteBuffer.wrap(bytes), Phase.LOAD));
        assertEquals("state Nested.items[1].get().seqs: length 2130706433 exceeds the 12 bytes left (corrupt or truncated)",
                e.getMessage());

        IllegalArgumentException absent = assertThrows(IllegalArgumentException.class,
                () -> StateCodec.encode(new Nested(Arrays.asList(Optional.empty(), null), new Positive(1))));
        assertEquals("state codec: Nested.items[1] is null; encode absence with Optional", absent.getMessage());
    }

    @Test
    void nullComponentIsAnEncodeError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> StateCodec.encode(new Flags(true, null)));
        assertEquals("state codec: Flags.label is null; encode absence with Optional", e.getMessage());
    }
}
