package dev.ferry.savevm.stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ferry.savevm.FrameKind;
import dev.ferry.savevm.Phase;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.Channels;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Frame buffers sized by the frames that come, not by the stream's limit. */
class FrameBufferTest {

    private static final long LIMIT = 16L << 20;

    @Test
    void startsSmallGrowsOnceForALargeFrameAndKeepsWhatWasFilled() {
        try (FrameBuffer buffer = new FrameBuffer(64 << 10, LIMIT)) {
            assertEquals(64 << 10, buffer.segment().byteSize());
            buffer.segment().set(ValueLayout.JAVA_LONG, 8, 0x1234_5678_9abc_def0L);
            assertEquals(64 << 10, buffer.reserve(1000, 16).byteSize(), "fits: no new allocation");
            MemorySegment grown = buffer.reserve((4L << 20) + 20, 16);
            assertEquals((4L << 20) + 20, grown.byteSize(), "exactly the frame that needs it, not the limit");
            assertEquals(0x1234_5678_9abc_def0L, grown.get(ValueLayout.JAVA_LONG, 8), "the kept bytes moved along");
            assertEquals(0, grown.address() % 4096, "page-aligned");
            assertEquals(LIMIT, buffer.reserve(LIMIT + 1, 0).byteSize(), "never past the limit");
        }
    }

    /** The destination's return path: replies of a few bytes, then a large RESUME record, through a control writer. */
    @Test
    void aControlWriterAndAReaderCarryFramesOfEverySizeInOrder() throws Exception {
        byte[] small = "ack".getBytes();
        byte[] large = new byte[(5 << 20) + 3];
        new Random(15).nextBytes(large);
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        try (FrameWriter writer = FrameWriter.unthrottled(Channels.newChannel(stream), StreamFormat.MAX_PAYLOAD)) {
            writer.writeFrame(FrameKind.ACK, 0, small);
            writer.writeFrame(FrameKind.RESUME, 0, large);
            writer.writeFrame(FrameKind.ACK, 0, small);
        }
        try (FrameReader reader = new FrameReader(Channels.newChannel(new ByteArrayInputStream(stream.toByteArray())),
                StreamFormat.MAX_PAYLOAD)) {
            Frame first = reader.next(Phase.LOAD);
            assertArrayEquals(small, first.payload().toArray(ValueLayout.JAVA_BYTE));
            Frame second = reader.next(Phase.LOAD);
            assertEquals(FrameKind.RESUME, second.kind());
            assertArrayEquals(large, second.payload().toArray(ValueLayout.JAVA_BYTE));
            assertArrayEquals(small, first.payload().toArray(ValueLayout.JAVA_BYTE), "a frame from the outgrown buffer stays readable");
            assertArrayEquals(small, reader.next(Phase.LOAD).payload().toArray(ValueLayout.JAVA_BYTE));
        }
    }
}
