package dev.ferry.blockmig;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The verification digest of one disk, kept as a table of per-chunk SHA-256 hashes so that each
 * side hashes a chunk when it handles it and only re-hashes chunks handled again; the disk's
 * digest is a hash over the table. Only chunks the copy covered count: in an incremental copy the
 * rest is the backing file, which is checked separately by {@link BackingIdentity}.
 */
final class ChunkDigests {

    private static final int HASH_BYTES = 32;

    private final long size;
    private final int chunkSize;
    private final byte[] table;
    private final DirtyBitmap covered;
    private final MessageDigest sha = sha256();

    ChunkDigests(long size, int chunkSize) {
        this.size = size;
        this.chunkSize = chunkSize;
        this.covered = new DirtyBitmap(size, chunkSize);
        long bytes = covered.chunks() * HASH_BYTES;
        if (bytes > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("disk of " + size + " bytes has too many " + chunkSize + "-byte chunks");
        }
        this.table = new byte[(int) bytes];
    }

    /** Records the content of {@code chunk} as it is now; {@code content} is the whole chunk. */
    void record(long chunk, MemorySegment content) {
        update(content);
        finish(chunk);
    }

    /** Adds the next bytes of the chunk being hashed, in disk order. */
    void update(MemorySegment bytes) {
        sha.update(bytes.asByteBuffer());
    }

    /** Adds {@code length} zero bytes to the chunk being hashed, without reading them anywhere. */
    void updateZeroes(long length) {
        for (long left = length; left > 0; left -= ZeroChunks.ZERO_BYTES) {
            update(ZeroChunks.zeroes(Math.min(left, ZeroChunks.ZERO_BYTES)));
        }
    }

    /** Ends the chunk being hashed: what {@link #update} got since the last chunk is {@code chunk}'s content. */
    void finish(long chunk) {
        try {
            sha.digest(table, (int) (chunk * HASH_BYTES), HASH_BYTES);
        } catch (java.security.DigestException e) {
            throw new IllegalStateException("SHA-256 digest into table", e);
        }
        covered.mark(chunk * chunkSize, 1);
    }

    /** Hex digest of the disk size, chunk size and the hash of every covered chunk in order. */
    String digest() {
        ByteBuffer header = ByteBuffer.allocate(Long.BYTES * 2).order(ByteOrder.LITTLE_ENDIAN);
        header.putLong(size).putLong(chunkSize).flip();
        sha.update(header);
        ByteBuffer index = ByteBuffer.allocate(Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (long chunk = 0; chunk < covered.chunks(); chunk++) {
            if (covered.isSet(chunk)) {
                sha.update(index.clear().putLong(chunk).flip());
                sha.update(table, (int) (chunk * HASH_BYTES), HASH_BYTES);
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
