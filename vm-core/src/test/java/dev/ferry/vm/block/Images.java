package dev.ferry.vm.block;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Test helpers that read and write whole devices through off-heap buffers, as the VM does. */
final class Images {

    static final int MIB = 1 << 20;

    private Images() {
    }

    static byte[] readAll(BlockDevice device) throws IOException {
        return read(device, 0, (int) device.size());
    }

    static byte[] read(BlockDevice device, long offset, int length) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(length, 4096);
            device.read(offset, buffer);
            return buffer.toArray(ValueLayout.JAVA_BYTE);
        }
    }

    static void write(BlockDevice device, long offset, byte[] data, int from, int length) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(length, 4096);
            MemorySegment.copy(data, from, buffer, ValueLayout.JAVA_BYTE, 0, length);
            device.write(offset, buffer);
        }
    }

    static void assertContent(byte[] expected, byte[] actual, String what) {
        if (expected.length == actual.length) {
            for (int i = 0; i < expected.length; i++) {
                if (expected[i] != actual[i]) {
                    assertArrayEquals(expected, actual, what + ": first difference at byte " + i);
                }
            }
        }
        assertArrayEquals(expected, actual, what);
    }
}
