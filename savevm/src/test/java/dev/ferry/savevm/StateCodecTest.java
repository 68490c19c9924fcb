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
    void nullComponentIsAnEncodeError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> StateCodec.encode(new Flags(true, null)));
        assertEquals("state codec: Flags.label is null; encode absence with Optional", e.getMessage());
    }
}
