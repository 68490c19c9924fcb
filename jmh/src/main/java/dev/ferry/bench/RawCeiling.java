package dev.ferry.bench;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.SequencedMap;
import java.util.SplittableRandom;

/**
 * Scenario (a): the ceiling. An image laid out like the demo's disk (first half random, second
 * half zeros) goes from a {@link RawCopy} sender process to a receiver process over loopback TCP.
 * The image is made once and reused, so every run reads it from the page cache, as the demo's
 * freshly written disk is.
 */
record RawCeiling(String id, long diskBytes) implements Scenario {

    @Override
    public String title() {
        return "raw copy " + Sizes.format(diskBytes) + " (ceiling)";
    }

    @Override
    public RunResult run(BenchContext context, int run) throws IOException, InterruptedException, BenchException {
        Path image = context.work().resolve("ceiling-" + Sizes.format(diskBytes) + ".img");
        if (!Files.exists(image)) {
            writeHalfRandom(image, diskBytes);
        }
        Path copy = context.work().resolve("ceiling-copy.img");
        long deadline = System.nanoTime() + context.timeout().toNanos();
        String name = id + "-" + run;
        try (ChildProcess receiver = ChildProcess.start(context, name + "-receiver", rawCopy(context, "receive", copy.toString()))) {
            int port = Integer.parseInt(receiver.awaitLine("port ", deadline).strip());
            try (ChildProcess sender = ChildProcess.start(context, name + "-sender",
                    rawCopy(context, "send", Integer.toString(port), image.toString()))) {
                SequencedMap<String, Object> reported = sender.awaitJson(deadline);
                long bytes = ((Number) reported.get("bytes")).longValue();
                if (bytes != diskBytes || Files.size(copy) != diskBytes) {
                    throw new BenchException(name + ": sent " + bytes + " bytes, the copy holds " + Files.size(copy)
                            + ", the image " + diskBytes);
                }
                double totalMs = ((Number) reported.get("total_ms")).doubleValue();
                return new RunResult(totalMs, Double.NaN, diskBytes, bytes, bytes, reported);
            }
        } finally {
            Files.deleteIfExists(copy);
        }
    }

    private static List<String> rawCopy(BenchContext context, String... args) {
        List<String> command = new ArrayList<>(List.of(context.java().toString(), "-cp", context.classPath(),
                RawCopy.class.getName()));
        command.addAll(List.of(args));
        return command;
    }

    /** Writes {@code bytes / 2} of seeded random data followed by as many zero bytes (left sparse). */
    static void writeHalfRandom(Path image, long bytes) throws IOException {
        try (FileChannel file = FileChannel.open(image, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
             Arena arena = Arena.ofConfined()) {
            MemorySegment chunk = arena.allocate(RawCopy.CHUNK, 4096);
            SplittableRandom random = new SplittableRandom(1);
            long half = bytes / 2;
            for (long at = 0; at < half; at += RawCopy.CHUNK) {
                for (long word = 0; word < RawCopy.CHUNK; word += Long.BYTES) {
                    chunk.set(ValueLayout.JAVA_LONG_UNALIGNED, word, random.nextLong());
                }
                ByteBuffer buffer = chunk.asSlice(0, Math.min(RawCopy.CHUNK, half - at)).asByteBuffer();
                while (buffer.hasRemaining()) {
                    file.write(buffer, at + buffer.position());
                }
            }
            file.truncate(bytes);
            if (file.size() < bytes) {
                file.write(ByteBuffer.allocate(1), bytes - 1);
            }
            // Written back now, as the demo flushes its disk, so the first copy does not share the disk with it.
            file.force(true);
        }
    }
}
