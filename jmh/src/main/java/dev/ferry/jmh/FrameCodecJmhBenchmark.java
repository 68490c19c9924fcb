package dev.ferry.jmh;

import dev.ferry.savevm.FrameKind;
import dev.ferry.savevm.Phase;
import dev.ferry.savevm.stream.Frame;
import dev.ferry.savevm.stream.FrameChecksum;
import dev.ferry.savevm.stream.FrameReader;
import dev.ferry.savevm.stream.FrameWriter;
import dev.ferry.savevm.stream.StreamFormat;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Frames per second (times the frame size: MB/s) through savevm's frame writer and reader with
 * the frames' checksum ({@code checksum}: CRC32C, or XXH3-64 through the writer's heap scratch
 * array, which a source picks where CRC32C is emulated). {@code encode}: copy a chunk into the frame buffer, CRC, hand it to a channel
 * that drops it. {@code roundTrip}: the same into an in-memory channel, then read back, CRC
 * verified and sequence checked: encode plus decode plus one memory copy, what a socket costs
 * beside the kernel.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class FrameCodecJmhBenchmark {

    @Param({"1048576"})
    int frameBytes;

    @Param({"CRC32C", "XXH3_64"})
    FrameChecksum checksum;

    private Arena arena;
    private MemorySegment chunk;
    private FrameWriter dropping;
    private FrameWriter looping;
    private FrameReader reader;

    /** A channel holding at most one frame: writes fill it, reads drain it. */
    private static final class MemoryChannel implements ByteChannel {
        private final ByteBuffer held;

        MemoryChannel(int capacity) {
            held = ByteBuffer.allocateDirect(capacity);
        }

        @Override
        public int write(ByteBuffer src) {
            int n = src.remaining();
            held.put(src);
            return n;
        }

        @Override
        public int read(ByteBuffer dst) {
            held.flip();
            int n = Math.min(dst.remaining(), held.remaining());
            dst.put(held.slice(held.position(), n));
            held.position(held.position() + n).compact();
            return n;
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {
        }
    }

    @Setup(Level.Trial)
    public void setUp() {
        arena = Arena.ofShared();
        chunk = arena.allocate(frameBytes, 4096);
        byte[] random = new byte[frameBytes];
        ThreadLocalRandom.current().nextBytes(random);
        MemorySegment.copy(MemorySegment.ofArray(random), 0, chunk, 0, frameBytes);
        dropping = FrameWriter.unthrottled(new DiscardChannel(), frameBytes);
        MemoryChannel memory = new MemoryChannel(frameBytes + StreamFormat.HEADER_BYTES + StreamFormat.MAX_TRAILER_BYTES);
        looping = FrameWriter.unthrottled(memory, frameBytes);
        reader = new FrameReader(memory, frameBytes);
        dropping.sealWith(checksum);
        looping.sealWith(checksum);
        reader.accept(checksum);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        dropping.close();
        looping.close();
        reader.close();
        arena.close();
    }

    @Benchmark
    public long encode() throws Exception {
        dropping.begin(1);
        dropping.claim(frameBytes).copyFrom(chunk);
        return dropping.seal(FrameKind.PART);
    }

    @Benchmark
    public Frame roundTrip() throws Exception {
        looping.begin(1);
        looping.claim(frameBytes).copyFrom(chunk);
        looping.seal(FrameKind.PART);
        return reader.next(Phase.LOAD);
    }
}
