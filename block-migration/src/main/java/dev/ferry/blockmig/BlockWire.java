package dev.ferry.blockmig;

import dev.ferry.savevm.SectionInput;
import dev.ferry.savevm.SectionOutput;
import dev.ferry.vm.block.BlockDevice;
import java.io.IOException;
import java.util.HexFormat;
import java.util.Optional;

/**
 * What a block section's frames hold (section version {@value #VERSION}; 2 added the hash granularity
 * to the {@link DiskSpec}, 3 made its backing identity a list of region digests over every byte, 4
 * hashes with XXH3-128 instead of SHA-256: a 16-byte DIGEST, and a peer of version 3 is refused at
 * the section's START with both versions named; 5 adds the migration id to the spec, for resume; 6
 * adds a level of group hashes to the digest's tree, see {@link ChunkDigests}, so the digest of version
 * 5 differs).
 * START: the
 * {@link DiskSpec} record, which the destination checks before anything else. PART and END: a
 * sequence of messages, each a u8 tag then its fields, little-endian:
 * <ul>
 *   <li>{@code DATA}: u64 offset, u32 length, the bytes (one frame holds the whole message);
 *   <li>{@code ZERO}: u64 offset, u64 length: the range reads as zeroes;
 *   <li>{@code DIGEST}: 16 bytes, the source's XXH3-128 digest of the disk ({@link ChunkDigests}), last in END.
 * </ul>
 * A message never crosses a chunk boundary, so the destination hashes what it received in runs
 * of granules inside one chunk, reading them back into a chunk-sized buffer.
 */
final class BlockWire {

    static final int VERSION = 7;
    private static final byte DATA = 1;
    private static final byte ZERO = 2;
    private static final byte DIGEST = 3;
    /** What a DATA message costs beside its bytes. */
    static final long DATA_HEADER_BYTES = 1 + 8 + 4;
    /** What a ZERO message costs. */
    static final long MARKER_BYTES = 1 + 8 + 8;
    private static final int DIGEST_BYTES = ContentHash.BYTES;

    private BlockWire() {
    }

    /** The section name of a drive: both sides register it, so disks match by drive id. */
    static String idstr(String drive) {
        return "block:" + drive;
    }

    /** Source: frames the chunk logic's messages into a section output, reading data straight into the frame. */
    static ChunkSink sink(SectionOutput out) {
        return new ChunkSink() {
            @Override
            public void data(long offset, long length, Fill fill) throws IOException {
                long most = (out.maxUnitBytes() - DATA_HEADER_BYTES) & -BlockDevice.SECTOR_SIZE;
                for (long at = offset, end = offset + length; at < end; ) {
                    long n = Math.min(most, end - at);
                    out.keepTogether(DATA_HEADER_BYTES + n);
                    out.writeByte(DATA);
                    out.writeLong(at);
                    out.writeInt((int) n);
                    fill.into(at, out.reserve(n));
                    at += n;
                }
            }

            @Override
            public void zeroes(long offset, long length) throws IOException {
                out.keepTogether(MARKER_BYTES);
                out.writeByte(ZERO);
                out.writeLong(offset);
                out.writeLong(length);
                out.implies(length); // the destination writes and reads back the range: not there until applied
            }
        };
    }

    /** Source: the disk's digest, the last message of END. */
    static void writeDigest(SectionOutput out, String hexDigest) throws IOException {
        out.keepTogether(1 + DIGEST_BYTES);
        out.writeByte(DIGEST);
        out.write(HexFormat.of().parseHex(hexDigest));
    }

    /**
     * Destination: applies one PART or END frame's messages to {@code target}; returns the
     * source's digest if the frame carried it.
     */
    static Optional<String> apply(SectionInput in, DiskTarget target) throws IOException {
        String drive = target.spec().drive();
        Optional<String> digest = Optional.empty();
        while (in.remaining() > 0) {
            byte tag = in.readByte();
            switch (tag) {
                case DATA -> {
                    long offset = in.readLong();
                    int length = in.readInt();
                    if (length <= 0) {
                        throw new BlockMigrationException("drive " + drive + ": data message of " + length + " bytes");
                    }
                    target.write(offset, in.read(length));
                }
                case ZERO -> target.zeroes(in.readLong(), in.readLong());
                case DIGEST -> {
                    byte[] hash = new byte[DIGEST_BYTES];
                    in.read(hash);
                    digest = Optional.of(HexFormat.of().formatHex(hash));
                }
                default -> throw new BlockMigrationException("drive " + drive + ": unknown message tag " + tag
                        + " in the block stream");
            }
        }
        return digest;
    }
}
