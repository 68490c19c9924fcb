package dev.ferry.blockmig;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.vm.block.ImageFormat;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.UUID;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

/**
 * The resume records on their own: the RESUME payload and its refusals, and the source's choice of what to send again, on a 1 GiB drive cut
 * at 30, 60 and 90 % of its copy while a writer dirties it.
 */
class ResumeRecordsTest {

    private static final long GIB = 1L << 30;
    private static final int GRANULE = 4096;
    private static final UUID ID = UUID.randomUUID();

    @Test
    void resumePayloadRoundTripsAndLiesAreRefused() throws IOException {
        DriveGranules held = copied(GIB, 0.5, RandomGenerator.of("L64X128MixRandom"));
        ResumeRequest request = new ResumeRequest(ID, List.of(held, new DriveGranules("d1", 8192, 4096, new long[] {1})));
        byte[] bytes = request.encode();
        assertEquals(request, ResumeRequest.parse(ByteBuffer.wrap(bytes)));

        byte[] pastEnd = new ResumeRequest(ID, List.of(new DriveGranules("d1", 8192, 4096, new long[] {0b100}))).encode();
        assertRefused("claims granules past its end", () -> ResumeRequest.parse(ByteBuffer.wrap(pastEnd)));
        byte[] twice = new ResumeRequest(ID, List.of(held, held)).encode();
        assertRefused("listed twice", () -> ResumeRequest.parse(ByteBuffer.wrap(twice)));
        assertRefused("truncated", () -> ResumeRequest.parse(ByteBuffer.wrap(bytes, 0, bytes.length - 1)));
        byte[] longer = java.util.Arrays.copyOf(bytes, bytes.length + 1);
        assertRefused("1 bytes after the last drive", () -> ResumeRequest.parse(ByteBuffer.wrap(longer)));
        // a word count far beyond the payload is refused before anything is allocated
        ByteBuffer huge = ByteBuffer.allocate(18 + 1 + 2 + 16).order(ByteOrder.LITTLE_ENDIAN);
        huge.putLong(1).putLong(2).putShort((short) 1).put((byte) 2).put("d9".getBytes()).putLong(Long.MAX_VALUE / 2)
                .putInt(1 << 26).putInt(-1);
        assertRefused("bitmap words for", () -> ResumeRequest.parse(huge.flip()));
        assertThrows(IllegalArgumentException.class,
                () -> new ResumeRequest(ID, List.of(new DriveGranules("d".repeat(256), 8192, 4096, new long[] {0}))));
        byte[] newline = new ResumeRequest(ID, List.of(new DriveGranules("disk\n0", 8192, 4096, new long[] {0}))).encode();
        assertRefused("has an id with control characters", () -> ResumeRequest.parse(ByteBuffer.wrap(newline)));
        ByteBuffer badGranule = ByteBuffer.wrap(new ResumeRequest(ID, List.of(held)).encode()).order(ByteOrder.LITTLE_ENDIAN);
        badGranule.putInt(18 + 1 + held.drive().length() + 8, 3000);
        assertRefused("is not a power of two", () -> ResumeRequest.parse(badGranule));
    }

    @Test
    void resumeForAnotherMigrationOrOtherDrivesIsRefusedInOneLine() {
        DiskSpec disk = spec("disk0", GIB);
        ResumeRequest held = new ResumeRequest(ID, List.of(copied(GIB, 0.3, RandomGenerator.of("L64X128MixRandom"))));
        assertRefused("the destination was part of migration", () -> ResumePlan.check(UUID.randomUUID(), List.of(disk), held));
        assertRefused("holds 1 drives, this migration copies 2", () -> ResumePlan.check(ID, List.of(disk, spec("disk1", GIB)), held));
        assertRefused("is not drive disk0 of 2147483648", () -> ResumePlan.check(ID, List.of(spec("disk0", 2 * GIB)), held));
    }

    /** The destination's record of a copy cut at {@code progress}: every granule before the cut, flushed. */
    private static DriveGranules copied(long size, double progress, RandomGenerator random) {
        ReceivedGranules received = new ReceivedGranules("disk0", size, GRANULE);
        long cut = (long) (size * progress) / (1 << 20) * (1 << 20);
        for (long offset = 0; offset < cut; offset += 1 << 20) {
            received.markWritten(offset, 1 << 20);
        }
        assertEquals(cut, received.snapshot().receivedBytes());
        assertArrayEquals(received.snapshot().received(), received.snapshot().received());
        return received.snapshot();
    }

    private static DiskSpec spec(String drive, long size) {
        return new DiskSpec(drive, size, ImageFormat.RAW, CopyMode.FULL, 1 << 20, GRANULE, java.util.Optional.empty(),
                ID.toString());
    }

    private static void assertRefused(String words, org.junit.jupiter.api.function.Executable call) {
        BlockMigrationException e = assertThrows(BlockMigrationException.class, call);
        assertTrue(e.getMessage().contains(words), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }
}
