package dev.ferry.savevm.fuzz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.ferry.savevm.ConfigCheck;
import dev.ferry.savevm.IncomingMigration;
import dev.ferry.savevm.IncomingStats;
import dev.ferry.savevm.MigrationChannel;
import dev.ferry.savevm.MigrationException;
import dev.ferry.savevm.SectionRegistry;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.BufferUnderflowException;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Fuzzes the destination's stream parser: any bytes as an incoming migration into a registry of
 * a RAM-like live section and a device state section. A bad stream must be refused with a
 * {@link MigrationException} raised on purpose; any other exception, an error (out of memory,
 * stack overflow), a hang, or a refusal that merely wraps an unexpected runtime exception is a
 * finding. In a normal build the committed inputs (seeds and past findings) run as regression
 * tests; {@code JAZZER_FUZZ=1} fuzzes (see docs/fuzzing.md).
 */
class StreamFuzzTest {

    private static final Path INPUTS = Path.of("src/test/resources/dev/ferry/savevm/fuzz/StreamFuzzTestInputs");
    private static final List<String> TARGETS = List.of("receive", "receiveSealed");

    /** A destination waiting for the seeds' machine. */
    private static final class Destination {
        final FuzzRam ram = new FuzzRam(SeedStreams.PAGES);
        final FuzzDevice device = new FuzzDevice(null);
        final SectionRegistry registry = new SectionRegistry().register(ram).register(device);

        IncomingStats receive(byte[] stream) throws MigrationException {
            return IncomingMigration.receive(registry, FuzzConfig.class, ConfigCheck.sameAs(FuzzConfig.standard()),
                    MigrationChannel.readOnly(Channels.newChannel(new ByteArrayInputStream(stream))));
        }
    }

    /** Raw bytes: exercises the frame envelope (kinds, lengths, truncation, CRC, sequence). */
    @FuzzTest(maxDuration = "30s")
    void receive(byte[] stream) {
        receiveAny(stream);
    }

    /** Bytes with every frame's sequence and CRC made right: exercises what lies under the envelope. */
    @FuzzTest(maxDuration = "30s")
    void receiveSealed(byte[] stream) {
        receiveAny(Resealer.reseal(stream));
    }

    private static void receiveAny(byte[] stream) {
        Destination destination = new Destination();
        try {
            destination.receive(stream);
        } catch (MigrationException refused) {
            requireDeliberate(refused);
            return;
        }
        if (destination.device.loaded().isEmpty()) {
            throw new AssertionError("a stream was accepted without the device state the destination needs");
        }
    }

    /**
     * Throws if the refusal wraps a runtime failure nobody meant: only the codec's buffer
     * underflow ("truncated") and a state record's own validation are translated on purpose.
     */
    private static void requireDeliberate(MigrationException refused) {
        for (Throwable cause = refused.getCause(); cause != null; cause = cause.getCause()) {
            boolean deliberate = !(cause instanceof RuntimeException) && !(cause instanceof Error)
                    || cause instanceof BufferUnderflowException || cause instanceof FuzzDevice.InvalidState;
            if (!deliberate) {
                throw new AssertionError("stream refused through an unexpected " + cause.getClass().getName()
                        + ": " + refused.getMessage(), refused);
            }
        }
    }

    /** The committed seeds are still complete, valid streams (else the fuzzer starts shallow): regenerate them. */
    @Test
    void seedsAreValidStreamsOfTheirMachines() throws IOException {
        for (SeedStreams.Seed seed : SeedStreams.all()) {
            byte[] stream;
            try (InputStream in = StreamFuzzTest.class.getResourceAsStream("StreamFuzzTestInputs/receive/" + seed.name())) {
                assertTrue(in != null, "seed " + seed.name() + " is missing: run with -Dferry.fuzz.writeSeeds=true");
                stream = in.readAllBytes();
            }
            Destination destination = new Destination();
            IncomingStats stats = destination.receive(stream);
            assertEquals(stream.length, stats.bytes(), seed.name());
            assertArrayEquals(seed.ram().memory(), destination.ram.memory(), seed.name());
            assertEquals(seed.device().name(), destination.device.loaded().orElseThrow().name(), seed.name());
            assertEquals(seed.device().queues(), destination.device.loaded().orElseThrow().queues(), seed.name());
        }
    }

    /** Regenerates the seed streams of both targets: {@code -Dferry.fuzz.writeSeeds=true -Dtest=StreamFuzzTest#writeSeeds}. */
    @Test
    @EnabledIfSystemProperty(named = "ferry.fuzz.writeSeeds", matches = "true")
    void writeSeeds() throws IOException, InterruptedException {
        for (SeedStreams.Seed seed : SeedStreams.all()) {
            byte[] stream = SeedStreams.write(seed);
            for (String target : TARGETS) {
                Files.createDirectories(INPUTS.resolve(target));
                Files.write(INPUTS.resolve(target).resolve(seed.name()), stream);
            }
        }
    }
}
