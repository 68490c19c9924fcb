package dev.ferry.blockmig;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.zip.CRC32C;

/**
 * The destination's record, per drive, of the granules it received and wrote during a storage
 * copy, so that after a broken connection it can tell the resuming source what not to send again.
 *
 * <p>Marks are trusted only once they are durable: {@link #markWritten} records what the section
 * wrote, and {@link #checkpoint} (called after the image was flushed) writes the bitmap to a side
 * file by write-fsync-rename, so a crash leaves the old checkpoint or the new one, never a torn
 * one, and never a bit for data still in the page cache. A granule the copy writes again later
 * stays marked: the source re-sends it because it is dirty on its side, not because it is missing.
 *
 * <p>A destination waiting in the same process after a break sends its marks as they are (what
 * it wrote is in the kernel's page cache or on disk either way, see {@link DiskTarget#held}).
 * The checkpoint is for a record that must outlive the process; nothing writes one yet.
 *
 * <p>File: {@code "FERRYRCV"}, the {@link ResumeRequest} encoding of this one drive, CRC32C of
 * both (u32 little-endian). One migration thread owns an instance.
 */
final class ReceivedGranules {

    private static final byte[] MAGIC = {'F', 'E', 'R', 'R', 'Y', 'R', 'C', 'V'};

    private final UUID migrationId;
    private final String drive;
    private final long size;
    private final int granuleSize;
    private final long[] words;

    ReceivedGranules(UUID migrationId, String drive, long size, int granuleSize) {
        if (granuleSize < ResumeRequest.MIN_GRANULE || Integer.bitCount(granuleSize) != 1 || size <= 0) {
            throw new IllegalArgumentException("drive " + drive + ": " + size + " bytes in granules of " + granuleSize);
        }
        this.migrationId = migrationId;
        this.drive = drive;
        this.size = size;
        this.granuleSize = granuleSize;
        this.words = new long[DriveGranules.words(DriveGranules.granules(size, granuleSize))];
    }

    private ReceivedGranules(UUID migrationId, DriveGranules held) {
        this(migrationId, held.drive(), held.size(), held.granuleSize());
        System.arraycopy(held.received(), 0, words, 0, words.length);
    }

    /** Marks the granules wholly inside {@code [offset, offset + length)} (a short last granule counts when it reaches the end). */
    void markWritten(long offset, long length) {
        long end = Math.min(size, offset + length);
        long first = (offset + granuleSize - 1) / granuleSize;
        long stop = end == size ? DriveGranules.granules(size, granuleSize) : end / granuleSize;
        for (long g = first; g < stop; g++) {
            words[(int) (g >>> 6)] |= 1L << g;
        }
    }

    DriveGranules snapshot() {
        return new DriveGranules(drive, size, granuleSize, words);
    }

    /** Writes the marks to {@code file} durably; call only after the image itself was flushed. */
    void checkpoint(Path file) throws IOException {
        byte[] body = new ResumeRequest(migrationId, List.of(snapshot())).encode();
        ByteBuffer out = ByteBuffer.allocate(MAGIC.length + body.length + 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        out.put(MAGIC).put(body);
        CRC32C crc = new CRC32C();
        crc.update(out.array(), 0, out.position());
        out.putInt((int) crc.getValue()).flip();
        Path temp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            while (out.hasRemaining()) {
                channel.write(out);
            }
            channel.force(true);
        }
        try {
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException(file + ": cannot replace the received-granule record atomically", e);
        }
    }

    /**
     * The record a previous run of {@code migrationId} left for {@code drive}, checked against the
     * drive as it is now.
     *
     * @throws BlockMigrationException one line: missing, corrupt, another migration's, another drive's
     */
    static ReceivedGranules load(Path file, UUID migrationId, String drive, long size, int granuleSize) throws IOException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new BlockMigrationException(file + ": no received-granule record (nothing to resume for drive " + drive + ")");
        }
        if (bytes.length < MAGIC.length + 4 || !Arrays.equals(bytes, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            throw new BlockMigrationException(file + ": not a Ferry received-granule record");
        }
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, bytes.length - 4);
        int stored = ByteBuffer.wrap(bytes, bytes.length - 4, 4).order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt();
        if (stored != (int) crc.getValue()) {
            throw new BlockMigrationException(file + ": received-granule record is corrupt (CRC32C mismatch)");
        }
        ResumeRequest record = ResumeRequest.parse(ByteBuffer.wrap(bytes, MAGIC.length, bytes.length - MAGIC.length - 4));
        if (!record.migrationId().equals(migrationId) || record.drives().size() != 1) {
            throw new BlockMigrationException(file + ": belongs to migration " + record.migrationId() + ", not " + migrationId);
        }
        DriveGranules held = record.drives().getFirst();
        if (!held.drive().equals(drive) || held.size() != size || held.granuleSize() != granuleSize) {
            throw new BlockMigrationException(file + ": records " + held + " of " + held.size()
                    + " bytes, not drive " + drive + " of " + size + " bytes in granules of " + granuleSize);
        }
        return new ReceivedGranules(migrationId, held);
    }
}
