package dev.ferry.jmh;

import dev.ferry.savevm.FrameKind;
import dev.ferry.savevm.stream.FrameOutput;
import dev.ferry.savevm.stream.FrameWriter;
import dev.ferry.savevm.stream.StreamFormat;
import dev.ferry.vm.cpu.RunGate;
import dev.ferry.vm.cpu.VcpuThrottle;
import dev.ferry.vm.memory.DirtyTracker;
import dev.ferry.vm.memory.GuestRam;
import dev.ferry.vm.memory.PageBitmap;
import dev.ferry.vm.memory.RamRegion;
import dev.ferry.vm.migration.RamSection;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.SplittableRandom;
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
 * vm-core's {@link RamSection} over 256 MiB of plain off-heap memory standing in for guest RAM
 * (the scan needs no KVM), its frames sealed with CRC32C and dropped. {@code bulkPass}: one timed
 * operation is the first full pass (zero-page check of every page, data pages copied into
 * frames). {@code dirtyRound}: one harvest of a KVM-style dirty log with {@code dirtyFraction} of
 * the pages set (merged into the section's bitmap, scanned, cleared), then sending those pages.
 * {@code content}: every page zero, every other 2 MiB zero, or every page random.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class RamScanJmhBenchmark {

    private static final long RAM_BYTES = 256L << 20;
    private static final long PAGES = RAM_BYTES >>> PageBitmap.PAGE_SHIFT;
    private static final long BUDGET = 64L << 20;

    /** The guest RAM, a KVM-style dirty log over it, and a stream that drops what it is sent. */
    @State(Scope.Thread)
    public static class Ram {

        @Param({"zero", "half", "random"})
        String content;

        GuestRam ram;
        MemorySegment log;
        VcpuThrottle throttle;
        FrameWriter writer;
        private Arena arena;
        /** Whether the "guest" wrote the pages of {@link #log} since the last harvest. */
        private boolean logArmed;

        /** Harvests {@link #log} as KVM's dirty log would report it, once per arming. */
        final DirtyTracker tracker = new DirtyTracker() {
            @Override
            public void start() {
            }

            @Override
            public void harvest(List<PageBitmap> into) {
                if (logArmed) {
                    into.getFirst().addKvmLog(log);
                    logArmed = false;
                }
            }

            @Override
            public void stop() {
            }
        };

        @Setup(Level.Trial)
        public void setUp() {
            arena = Arena.ofShared();
            MemorySegment memory = arena.allocate(RAM_BYTES, 4096);
            SplittableRandom random = new SplittableRandom(2);
            long block = 2L << 20;
            for (long at = 0; at < RAM_BYTES; at += Long.BYTES) {
                if (content.equals("random") || (content.equals("half") && (at / block) % 2 == 0)) {
                    memory.set(ValueLayout.JAVA_LONG_UNALIGNED, at, random.nextLong());
                }
            }
            ram = new GuestRam(List.of(new RamRegion(0, 0, memory)), () -> { });
            log = arena.allocate(new PageBitmap(PAGES).byteSize(), 8);
            throttle = new VcpuThrottle(new RunGate());
            writer = FrameWriter.unthrottled(new DiscardChannel(), StreamFormat.WRITER_PAYLOAD);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            writer.close();
            throttle.close();
            arena.close();
        }

        RamSection newSection() {
            return new RamSection(ram, tracker, throttle);
        }

        /** Sets {@code section} up and sends until nothing is pending; returns the bytes sent. */
        long sendAll(RamSection section, FrameOutput out) throws IOException {
            out.open(FrameKind.START);
            section.setup(out);
            out.finish(false);
            return iterateUntilDone(section, out);
        }

        /** One round: the guest's writes are harvested, then sent; returns the bytes sent. */
        long round(RamSection section, FrameOutput out) throws IOException {
            logArmed = true;
            section.exactPendingBytes();
            return iterateUntilDone(section, out);
        }

        private static long iterateUntilDone(RamSection section, FrameOutput out) throws IOException {
            long before = out.sent();
            while (section.pendingBytes() > 0) {
                out.open(FrameKind.PART);
                section.iterate(out, BUDGET);
                out.finish(false);
            }
            return out.sent() - before;
        }
    }

    /** A section whose bulk pass is done and whose log marks {@code dirtyFraction} of the pages. */
    @State(Scope.Thread)
    public static class Dirtied {

        @Param({"0.001", "0.05"})
        double dirtyFraction;

        // JMH may hand the benchmark method another Ram instance than this setup: keep this one.
        Ram ram;
        RamSection section;
        FrameOutput out;

        @Setup(Level.Trial)
        public void setUp(Ram ram) throws IOException {
            this.ram = ram;
            section = ram.newSection();
            out = new FrameOutput(ram.writer, 1, section.id());
            ram.sendAll(section, out);
            SplittableRandom random = new SplittableRandom(3);
            for (long i = 0, n = (long) (PAGES * dirtyFraction); i < n; i++) {
                long page = random.nextLong(PAGES);
                long word = (page >>> 6) * Long.BYTES;
                ram.log.set(ValueLayout.JAVA_LONG_UNALIGNED, word,
                        ram.log.get(ValueLayout.JAVA_LONG_UNALIGNED, word) | 1L << (page & 63));
            }
        }
    }

    @Benchmark
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public long bulkPass(Ram ram) throws IOException {
        RamSection section = ram.newSection();
        try {
            return ram.sendAll(section, new FrameOutput(ram.writer, 1, section.id()));
        } finally {
            section.cleanup(true);
        }
    }

    @Benchmark
    public long dirtyRound(Dirtied dirtied) throws IOException {
        long sent = dirtied.ram.round(dirtied.section, dirtied.out);
        if (sent == 0) {
            throw new IllegalStateException("a dirty round sent nothing: the benchmark measures no scan");
        }
        return sent;
    }
}
