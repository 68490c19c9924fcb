package dev.ferry.savevm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.savevm.codec.StateCodec;
import dev.ferry.savevm.fuzz.Resealer;
import dev.ferry.savevm.stream.Frame;
import dev.ferry.savevm.stream.FrameChecksum;
import dev.ferry.savevm.stream.FrameReader;
import dev.ferry.savevm.stream.FrameWriter;
import dev.ferry.savevm.stream.StreamFormat;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.Pipe;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;

/** Round trips of synthetic sections, and streams that are corrupt, truncated or out of order. */
class StreamFormatTest {

    private static final int PAGES = 300;

    /** A source with one RAM section of random pages and one device section. */
    private static final class Source {
        final SyntheticRam ram = new SyntheticRam("ram", PAGES);
        final SectionRegistry registry = new SectionRegistry();

        Source() {
            for (int page = 0; page < PAGES; page++) {
                ram.guestWrite(page, ThreadLocalRandom.current().nextLong());
            }
            registry.register(ram).register(new DeviceSection(1, DeviceSection.sample(), null));
        }
    }

    /** A destination expecting the same sections. */
    private static final class Destination {
        final SyntheticRam ram = new SyntheticRam("ram", PAGES);
        final DeviceSection device;
        final SectionRegistry registry = new SectionRegistry();

        Destination(int deviceVersion) {
            device = new DeviceSection(deviceVersion, null, null);
            registry.register(ram).register(device);
        }

        IncomingStats receive(byte[] stream) throws MigrationException {
            return IncomingMigration.receive(registry, MachineConfig.class, ConfigCheck.sameAs(MachineConfig.of(512L << 20)),
                    MigrationChannel.readOnly(Channels.newChannel(new ByteArrayInputStream(stream))));
        }

        MigrationException refuse(byte[] stream) {
            return assertThrows(MigrationException.class, () -> receive(stream));
        }
    }

    private static byte[] save(Source source, MachineConfig config) throws InterruptedException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        MigrationDriver driver = MigrationDriver.start(source.registry, new SyntheticVm(source.ram, 0, false), config,
                MigrationChannel.writeOnly(Channels.newChannel(bytes)), MigrationOptions.defaults());
        assertInstanceOf(MigrationState.Completed.class, driver.await(Duration.ofSeconds(20)));
        return bytes.toByteArray();
    }

    @Test
    void roundTripOverAPipeRestoresEveryByte() throws Exception {
        Source source = new Source();
        Destination destination = new Destination(1);
        Pipe pipe = Pipe.open();
        MigrationDriver driver = MigrationDriver.start(source.registry, new SyntheticVm(source.ram, 0, false),
                MachineConfig.of(512L << 20), MigrationChannel.writeOnly(pipe.sink()), MigrationOptions.defaults());
        IncomingStats stats = IncomingMigration.receive(destination.registry, MachineConfig.class,
                ConfigCheck.sameAs(MachineConfig.of(512L << 20)), MigrationChannel.readOnly(pipe.source()));
        assertInstanceOf(MigrationState.Completed.class, driver.await(Duration.ofSeconds(10)));
        assertArrayEquals(source.ram.snapshot(), destination.ram.snapshot());
        DeviceSection.assertSameState(DeviceSection.sample(), destination.device.loaded());
        assertEquals(2, stats.sections());
        assertTrue(stats.bytes() > PAGES * SyntheticRam.PAGE, "stream carries every page: " + stats.bytes());
        assertEquals(List.of(true), source.ram.cleanups());
    }

    @Test
    void savedStreamLoadsFromAFile() throws Exception {
        Source source = new Source();
        byte[] stream = save(source, MachineConfig.of(512L << 20));
        Destination destination = new Destination(1);
        destination.receive(stream);
        assertArrayEquals(source.ram.snapshot(), destination.ram.snapshot());
    }

    @Test
    void configMismatchFailsBeforeAnySectionLoads() throws Exception {
        byte[] stream = save(new Source(), MachineConfig.of(256L << 20));
        Destination destination = new Destination(1);
        MigrationException e = destination.refuse(stream);
        assertEquals(Phase.CONFIG, e.phase());
        assertEquals("config field memoryBytes differs: source 268435456, destination 536870912", e.getMessage());
        assertEquals(0, destination.ram.loadedFrames());
        assertEquals(null, destination.device.loaded());
    }

    @Test
    void everyFlippedByteIsDetected() throws Exception {
        byte[] stream = save(new Source(), MachineConfig.of(512L << 20));
        List<Integer> offsets = new ArrayList<>(List.of(0, 5, 20, stream.length / 3, stream.length / 2, stream.length - 30, stream.length - 1));
        for (int offset : offsets) {
            byte[] corrupt = stream.clone();
            corrupt[offset] ^= 0x40;
            MigrationException e = new Destination(1).refuse(corrupt);
            assertTrue(e.getMessage().contains("CRC32C mismatch") || e.getMessage().contains("unknown frame kind")
                            || e.getMessage().contains("exceeds the limit") || e.getMessage().contains("truncated"),
                    "byte " + offset + ": " + e.getMessage());
        }
    }

    /** A source that chose XXH3-64 after the configuration's ACK: every frame after CONFIG sealed with it. */
    private static byte[] savedWithXxh3(Source source) throws Exception {
        return Resealer.sealedWith(save(source, MachineConfig.of(512L << 20)), FrameChecksum.XXH3_64, 2);
    }

    @Test
    void xxh3FramesLoadWhereTheDestinationOffersIt() throws Exception {
        Source source = new Source();
        byte[] stream = savedWithXxh3(source);
        Destination destination = new Destination(1);
        ByteArrayOutputStream returnPath = new ByteArrayOutputStream();
        IncomingMigration.receive(destination.registry, MachineConfig.class, ConfigCheck.sameAs(MachineConfig.of(512L << 20)),
                MigrationChannel.of(Channels.newChannel(new ByteArrayInputStream(stream)), Channels.newChannel(returnPath)));
        assertArrayEquals(source.ram.snapshot(), destination.ram.snapshot());
        try (FrameReader replies = new FrameReader(Channels.newChannel(new ByteArrayInputStream(returnPath.toByteArray())),
                StreamFormat.CONTROL_PAYLOAD)) {
            Frame answer = replies.next(Phase.HANDSHAKE);
            assertEquals(FrameKind.ACK, answer.kind());
            assertTrue(StreamFormat.offers(answer.text(), StreamFormat.ACCEPTS_XXH3), answer.text());
        }
    }

    @Test
    void xxh3FramesAreRefusedWithoutTheOffer() throws Exception {
        assertEquals("frame 2 (START): sealed with XXH3-64, which this side did not offer: without the offer frames"
                + " are sealed with CRC32C (corrupt stream?)", new Destination(1).refuse(savedWithXxh3(new Source())).getMessage());
    }

    @Test
    void aFlippedByteInAnXxh3FrameIsDetected() throws Exception {
        byte[] stream = savedWithXxh3(new Source());
        List<Integer> starts = frameOffsets(stream);
        for (int offset : List.of(starts.get(3) + 9, starts.get(3) + 100, starts.get(4) - 1)) {
            byte[] corrupt = stream.clone();
            corrupt[offset] ^= 0x04;
            ByteArrayOutputStream returnPath = new ByteArrayOutputStream();
            MigrationException e = assertThrows(MigrationException.class, () -> IncomingMigration.receive(new Destination(1).registry,
                    MachineConfig.class, ConfigCheck.sameAs(MachineConfig.of(512L << 20)),
                    MigrationChannel.of(Channels.newChannel(new ByteArrayInputStream(corrupt)), Channels.newChannel(returnPath))));
            assertTrue(e.getMessage().startsWith("frame 3: XXH3-64 mismatch (stream corrupt: 0x"), "byte " + offset + ": " + e.getMessage());
        }
    }

    @Test
    void truncatedStreamIsRejectedAtEveryCut() throws Exception {
        byte[] stream = save(new Source(), MachineConfig.of(512L << 20));
        List<Integer> frameStarts = frameOffsets(stream);
        for (int cut : List.of(3, 16, frameStarts.get(2), frameStarts.get(2) + 100, stream.length - 1)) {
            Destination destination = new Destination(1);
            MigrationException e = destination.refuse(Arrays.copyOf(stream, cut));
            assertTrue(e.getMessage().contains("truncated") || e.getMessage().contains("stream ended before"),
                    "cut at " + cut + ": " + e.getMessage());
        }
        MigrationException e = new Destination(1).refuse(Arrays.copyOf(stream, frameStarts.getLast()));
        assertEquals("stream ended before frame " + (frameStarts.size() - 1)
                + " (no EOF frame: the source stopped or the connection dropped)", e.getMessage());
    }

    @Test
    void aConnectionLostMidStreamIsOneLineNamingTheError() throws Exception {
        byte[] stream = save(new Source(), MachineConfig.of(512L << 20));
        InputStream reset = new InputStream() {
            @Override
            public int read() throws IOException {
                throw new IOException("tcp:127.0.0.1:4444: read failed: Connection reset");
            }
        };
        InputStream dropped = new SequenceInputStream(new ByteArrayInputStream(stream, 0, stream.length / 2), reset);
        MigrationException e = assertThrows(MigrationException.class, () -> IncomingMigration.receive(new Destination(1).registry,
                MachineConfig.class, ConfigCheck.sameAs(MachineConfig.of(512L << 20)),
                MigrationChannel.readOnly(Channels.newChannel(dropped))));
        assertEquals("reading the migration stream failed: tcp:127.0.0.1:4444: read failed: Connection reset", e.getMessage());
    }

    @Test
    void swappedFramesBreakTheSequence() throws Exception {
        byte[] stream = save(new Source(), MachineConfig.of(512L << 20));
        List<Integer> starts = frameOffsets(stream);
        byte[] swapped = swap(stream, starts, 2, 3);
        MigrationException e = new Destination(1).refuse(swapped);
        assertEquals("frame 2 (PART): carries sequence number 3 (frames lost, duplicated or reordered)", e.getMessage());
    }

    @Test
    void statusWordsAreWhatInfoMigrateShows() {
        assertEquals("active", new MigrationState.Active().status());
        assertEquals("failed", new MigrationState.Failed(Phase.LOAD, "x").status());
    }

    @Test
    void notAFerryStream() {
        byte[] garbage = "GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes();
        MigrationException e = new Destination(1).refuse(garbage);
        assertEquals(Phase.HEADER, e.phase());
        assertTrue(e.getMessage().startsWith("not a Ferry migration stream"), e.getMessage());
    }

    @Test
    void otherMajorVersionIsRefused() throws Exception {
        byte[] stream = frames(w -> {
            ByteBuffer header = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
            header.put(StreamFormat.MAGIC).putShort((short) 1).putShort((short) 0);
            w.writeFrame(FrameKind.HEADER, 0, header.array());
        });
        MigrationException e = new Destination(1).refuse(stream);
        assertEquals("stream format version 1.0 is not supported: this build reads major version 2", e.getMessage());
    }

    @Test
    void hugeLengthFieldIsRefusedWithoutAllocating() throws Exception {
        byte[] stream = craft(w -> { });
        ByteBuffer.wrap(stream, 12, 4).order(ByteOrder.LITTLE_ENDIAN).putInt(0x7fff_ffff);
        MigrationException e = new Destination(1).refuse(stream);
        assertTrue(e.getMessage().contains("payload length 2147483647 exceeds the limit of 16777216 bytes"), e.getMessage());
    }

    @Test
    void partBeforeStartIsRefused() throws Exception {
        assertRefused(w -> w.writeFrame(FrameKind.PART, 1, new byte[0]),
                "frame 2 (PART, section 1): section index 1 was never started");
    }

    @Test
    void startTwiceIsRefused() throws Exception {
        assertRefused(w -> {
            writeStart(w, 1, new SectionId("ram", 0, 1));
            writeStart(w, 1, new SectionId("ram", 0, 1));
        }, "frame 3 (START, section 1): section index 1 was already opened by 'ram' instance 0 v1");
    }

    @Test
    void sameSectionUnderTwoIndexesIsRefused() throws Exception {
        assertRefused(w -> {
            writeStart(w, 1, new SectionId("ram", 0, 1));
            writeStart(w, 2, new SectionId("ram", 0, 1));
        }, "frame 3 (START, section 2): section 'ram' instance 0 v1 sent twice");
    }

    @Test
    void endTwiceIsRefused() throws Exception {
        assertRefused(w -> {
            writeStart(w, 1, new SectionId("ram", 0, 1));
            w.writeFrame(FrameKind.END, 1, new byte[0]);
            w.writeFrame(FrameKind.END, 1, new byte[0]);
        }, "frame 4 (END, section 1): section 'ram' instance 0 v1 already ended");
    }

    @Test
    void unknownSectionIsRefused() throws Exception {
        assertRefused(w -> writeStart(w, 1, new SectionId("gpu", 3, 1)),
                "frame 2 (START, section 1): unknown section 'gpu' instance 3 v1 (not registered on the destination)");
    }

    @Test
    void unknownVersionIsRefusedBeforeLoading() throws Exception {
        byte[] stream = save(new Source(), MachineConfig.of(512L << 20));
        Destination destination = new Destination(7);
        MigrationException e = destination.refuse(stream);
        assertEquals(Phase.LOAD, e.phase());
        assertTrue(e.getMessage().endsWith("section device instance 0 has version 1, which this build (version 7) cannot load"),
                e.getMessage());
        assertEquals(null, destination.device.loaded());
    }

    @Test
    void missingSectionAndUnendedSectionAreRefusedAtEof() throws Exception {
        assertRefused(w -> {
            writeStart(w, 1, new SectionId("ram", 0, 1));
            w.writeFrame(FrameKind.EOF, 0, new byte[0]);
        }, "frame 3 (EOF): section 'ram' instance 0 v1 started but never ended");
        assertRefused(w -> {
            writeStart(w, 1, new SectionId("ram", 0, 1));
            w.writeFrame(FrameKind.END, 1, new byte[0]);
            w.writeFrame(FrameKind.EOF, 0, new byte[0]);
        }, "the stream ended without section 'device' instance 0 v1, which the destination needs");
    }

    @Test
    void leftoverPayloadBytesAreALayoutMismatch() throws Exception {
        assertRefused(w -> {
            writeStart(w, 1, new SectionId("ram", 0, 1));
            w.writeFrame(FrameKind.PART, 1, new byte[3]);
        }, "section 'ram' instance 0 v1, frame 3 (PART, section 1): the section read 8 bytes with only 3 left "
                + "in the payload (layout mismatch or truncated data)");
    }

    @Test
    void abortFromTheSourceIsReported() throws Exception {
        assertRefused(w -> w.writeFrame(FrameKind.ABORT, 0, "disk full".getBytes()),
                "the source aborted the migration: disk full");
    }

    /** A crafted stream, header and config first, that the destination refuses with {@code message}. */
    private static void assertRefused(FrameBody body, String message) throws IOException {
        assertEquals(message, new Destination(1).refuse(craft(body)).getMessage());
    }

    /** Writes header and config of a valid stream, then whatever {@code body} adds. */
    private static byte[] craft(FrameBody body) throws IOException {
        return frames(writer -> {
            ByteBuffer header = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
            header.put(StreamFormat.MAGIC).putShort((short) StreamFormat.MAJOR).putShort((short) StreamFormat.MINOR);
            writer.writeFrame(FrameKind.HEADER, 0, header.array());
            writer.writeFrame(FrameKind.CONFIG, 0, StateCodec.encode(MachineConfig.of(512L << 20)));
            body.write(writer);
        });
    }

    /** Exactly the frames {@code body} writes. */
    private static byte[] frames(FrameBody body) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (FrameWriter writer = FrameWriter.unthrottled(Channels.newChannel(bytes), 1 << 20)) {
            body.write(writer);
        }
        return bytes.toByteArray();
    }

    private interface FrameBody {
        void write(FrameWriter writer) throws IOException;
    }

    private static void writeStart(FrameWriter writer, int index, SectionId id) throws IOException {
        writer.begin(index);
        long size = dev.ferry.savevm.stream.SectionDescriptor.size(id);
        dev.ferry.savevm.stream.SectionDescriptor.write(id, writer.claim(size));
        writer.claim(4).set(StreamFormat.INT, 0, PAGES);
        writer.seal(FrameKind.START);
    }

    private static List<Integer> frameOffsets(byte[] stream) {
        List<Integer> starts = new ArrayList<>();
        ByteBuffer in = ByteBuffer.wrap(stream).order(ByteOrder.LITTLE_ENDIAN);
        int offset = 0;
        while (offset < stream.length) {
            starts.add(offset);
            offset += StreamFormat.HEADER_BYTES + in.getInt(offset + 12) + FrameChecksum.ofFlags(stream[offset + 1]).orElseThrow().bytes();
        }
        return starts;
    }

    private static byte[] swap(byte[] stream, List<Integer> starts, int first, int second) {
        byte[] a = Arrays.copyOfRange(stream, starts.get(first), starts.get(first + 1));
        byte[] b = Arrays.copyOfRange(stream, starts.get(second), starts.get(second + 1));
        byte[] out = stream.clone();
        System.arraycopy(b, 0, out, starts.get(first), b.length);
        System.arraycopy(a, 0, out, starts.get(first) + b.length, a.length);
        return out;
    }
}
