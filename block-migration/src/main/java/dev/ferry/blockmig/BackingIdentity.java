package dev.ferry.blockmig;

import dev.ferry.vm.block.BlockDevice;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * What an incremental migration checks before any data moves: the destination's backing file
 * must read the same as the source's, or its overlay would show the guest other bytes.
 *
 * @param size   virtual size of the backing device in bytes
 * @param check  how much of the content {@code digest} covers
 * @param digest hex SHA-256 of the covered content
 */
public record BackingIdentity(long size, Check check, String digest) {

    /** How much of the backing content the identity hashes. */
    public enum Check {
        /** 64 KiB at 64 places spread over the device, first and last included: cheap on any size. */
        SAMPLED,
        /** Every byte: reads the whole backing file on both sides, and catches any difference. */
        FULL
    }

    private static final int SAMPLES = 64;
    private static final int SAMPLE_BYTES = 64 * 1024;
    private static final int FULL_READ_BYTES = 4 * 1024 * 1024;

    /** The identity of {@code backing}'s content as the guest would read it through it. */
    public static BackingIdentity of(BlockDevice backing, Check check) throws IOException {
        long size = backing.size();
        MessageDigest sha = ChunkDigests.sha256();
        try (Arena arena = Arena.ofConfined()) {
            if (check == Check.FULL) {
                MemorySegment buffer = arena.allocate(FULL_READ_BYTES, 4096);
                for (long at = 0; at < size; at += FULL_READ_BYTES) {
                    hashRange(backing, sha, buffer, at, Math.min(FULL_READ_BYTES, size - at));
                }
            } else {
                MemorySegment buffer = arena.allocate(SAMPLE_BYTES, 4096);
                long sectors = size / BlockDevice.SECTOR_SIZE;
                long sampleSectors = SAMPLE_BYTES / BlockDevice.SECTOR_SIZE;
                long lastStart = Math.max(0, sectors - sampleSectors);
                for (int i = 0; i < SAMPLES; i++) {
                    long at = lastStart * i / (SAMPLES - 1) * BlockDevice.SECTOR_SIZE;
                    hashRange(backing, sha, buffer, at, Math.min(SAMPLE_BYTES, size - at));
                }
            }
        }
        return new BackingIdentity(size, check, HexFormat.of().formatHex(sha.digest()));
    }

    private static void hashRange(BlockDevice device, MessageDigest sha, MemorySegment buffer, long at, long n)
            throws IOException {
        MemorySegment slice = buffer.asSlice(0, n);
        device.read(at, slice);
        sha.update(ByteBuffer.allocate(Long.BYTES).order(ByteOrder.LITTLE_ENDIAN).putLong(0, at));
        sha.update(slice.asByteBuffer());
    }

    /**
     * Fails unless {@code local}, the destination's backing named {@code where}, is the same as
     * this source identity.
     */
    public void requireSame(BackingIdentity local, String drive, String where) throws BlockMigrationException {
        if (local.size != size) {
            throw new BlockMigrationException("drive " + drive + ": backing file " + where + " has size " + local.size
                    + " bytes, the source's backing file has " + size);
        }
        if (!local.digest.equals(digest)) {
            throw new BlockMigrationException("drive " + drive + ": backing file " + where
                    + " differs in content from the source's (" + check.name().toLowerCase(java.util.Locale.ROOT)
                    + " SHA-256 " + local.digest + " here, " + digest + " on the source)");
        }
    }
}
