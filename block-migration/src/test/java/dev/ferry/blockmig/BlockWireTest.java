package dev.ferry.blockmig;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ferry.savevm.SectionOutput;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/** What the block stream tells the driver beside its bytes. */
class BlockWireTest {

    /**
     * A zero marker is {@value BlockWire#MARKER_BYTES} bytes on the wire for a range the
     * destination writes and reads back: the range is declared, so the source counts it as due
     * until the destination applied the frame. Data carries its bytes and declares nothing more.
     */
    @Test
    void aZeroMarkerDeclaresItsRangeAndDataNothingBeyondItsBytes() throws Exception {
        Recording out = new Recording();
        ChunkSink sink = BlockWire.sink(out);
        sink.zeroes(1 << 20, 1 << 20);
        sink.data(0, 4096, (offset, room) -> room.fill((byte) 7));
        sink.zeroes(8192, 4096);
        assertEquals((1 << 20) + 4096, out.implied);
        assertEquals(2 * BlockWire.MARKER_BYTES + BlockWire.DATA_HEADER_BYTES + 4096, out.written);
    }

    /** Counts what is written and implied. */
    private static final class Recording implements SectionOutput {
        private final Arena arena = Arena.ofAuto();
        long written;
        long implied;

        @Override
        public long maxUnitBytes() {
            return 1 << 20;
        }

        @Override
        public void keepTogether(long bytes) {
        }

        @Override
        public void writeByte(int value) {
            written += 1;
        }

        @Override
        public void writeInt(int value) {
            written += 4;
        }

        @Override
        public void writeLong(long value) {
            written += 8;
        }

        @Override
        public void write(byte[] bytes) {
            written += bytes.length;
        }

        @Override
        public void write(MemorySegment bytes) {
            written += bytes.byteSize();
        }

        @Override
        public MemorySegment reserve(long bytes) {
            written += bytes;
            return arena.allocate(bytes);
        }

        @Override
        public void implies(long bytes) {
            implied += bytes;
        }

        @Override
        public void writeRecord(Record value) {
            throw new UnsupportedOperationException("the block stream writes no record in PART frames");
        }
    }
}
