package dev.ferry.vm.block.qcow2;

import dev.ferry.vm.block.BlockDevice;
import dev.ferry.vm.block.ImageException;
import dev.ferry.vm.block.internal.PosixFile;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The qcow2 header and the header extensions Ferry reads, validated so that nothing it names lies
 * outside the file or asks for a feature Ferry would misread.
 *
 * @param extensionsEnd where the header extensions end inside cluster 0
 * @param snapshotCount internal snapshots (only a header read for a check may have any)
 * @param snapshotsOffset where the snapshot table starts, 0 without snapshots
 */
public record Qcow2Header(
        Path path,
        int version,
        int clusterBits,
        long size,
        int l1Size,
        long l1TableOffset,
        long refcountTableOffset,
        int refcountTableClusters,
        long incompatibleFeatures,
        long autoclearFeatures,
        int refcountOrder,
        Optional<String> backingFile,
        Optional<String> backingFormat,
        int extensionsEnd,
        int snapshotCount,
        long snapshotsOffset) {

    public static final int MAGIC = 0x514649fb;
    public static final long INCOMPATIBLE_DIRTY = 1;
    public static final long INCOMPATIBLE_CORRUPT = 2;
    static final long INCOMPATIBLE_DATA_FILE = 4;
    static final long INCOMPATIBLE_COMPRESSION_TYPE = 8;
    static final long INCOMPATIBLE_EXTENDED_L2 = 16;
    static final int V2_LENGTH = 72;
    static final int V3_LENGTH = 112;
    static final int OFFSET_BACKING_FILE = 8;
    static final int OFFSET_REFCOUNT_TABLE = 48;
    public static final int OFFSET_INCOMPATIBLE = 72;
    static final int OFFSET_AUTOCLEAR = 88;
    static final int EXTENSION_END = 0;
    static final int EXTENSION_BACKING_FORMAT = 0xe2792aca;
    static final int MAX_BACKING_NAME = 1023;
    /** QEMU's limit too: it bounds what a header can make the reader allocate (a sparse file is cheap). */
    static final int MAX_L1_ENTRIES = (32 << 20) / 8;
    static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN);
    static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN);
    static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN);

    public int clusterSize() {
        return 1 << clusterBits;
    }

    public boolean dirty() {
        return (incompatibleFeatures & INCOMPATIBLE_DIRTY) != 0;
    }

    public boolean corrupt() {
        return (incompatibleFeatures & INCOMPATIBLE_CORRUPT) != 0;
    }

    /** Whether the first bytes of a file are a qcow2 magic. */
    public static boolean hasMagic(MemorySegment start) {
        return start.byteSize() >= 4 && start.get(INT, 0) == MAGIC;
    }

    /** Reads and validates the header of {@code file}; an image with internal snapshots is refused. */
    public static Qcow2Header read(PosixFile file) throws IOException {
        return read(file, false);
    }

    /** As {@link #read(PosixFile)}; with {@code snapshotsAllowed} (a check only reads them) snapshots pass. */
    public static Qcow2Header read(PosixFile file, boolean snapshotsAllowed) throws IOException {
        Path path = file.path();
        long length = file.length();
        try (Arena arena = Arena.ofConfined()) {
            if (length < V2_LENGTH) {
                throw new ImageException(path, "truncated: " + length + " bytes is too short for a qcow2 header");
            }
            MemorySegment fixed = arena.allocate(V2_LENGTH);
            file.read(0, fixed);
            if (!hasMagic(fixed)) {
                throw new ImageException(path, String.format("not a qcow2 image (magic 0x%08x, expected 0x%08x)",
                        fixed.get(INT, 0), MAGIC));
            }
            int version = fixed.get(INT, 4);
            if (version != 2 && version != 3) {
                throw new ImageException(path, "unsupported qcow2 version " + version + " (Ferry reads 2 and 3)");
            }
            int clusterBits = fixed.get(INT, 20);
            if (clusterBits < 9 || clusterBits > 21) {
                throw new ImageException(path, "cluster_bits " + clusterBits + " is outside 9..21");
            }
            int clusterSize = 1 << clusterBits;
            if (length < clusterSize) {
                throw new ImageException(path, "truncated: " + length + " bytes is shorter than one "
                        + clusterSize + "-byte cluster");
            }
            MemorySegment cluster0 = arena.allocate(clusterSize);
            file.read(0, cluster0);
            return parse(path, length, cluster0, version, clusterBits, snapshotsAllowed);
        }
    }

    private static Qcow2Header parse(Path path, long length, MemorySegment c0, int version, int clusterBits,
            boolean snapshotsAllowed) throws ImageException {
        int clusterSize = 1 << clusterBits;
        int cryptMethod = c0.get(INT, 32);
        if (cryptMethod != 0) {
            throw new ImageException(path, "encrypted qcow2 images are not supported (crypt_method " + cryptMethod + ")");
        }
        int snapshots = c0.get(INT, 60);
        if (snapshots != 0 && !snapshotsAllowed) {
            throw new ImageException(path, "has " + snapshots + " internal snapshot(s), which Ferry does not support");
        }
        long incompatible = version == 3 ? c0.get(LONG, 72) : 0;
        long autoclear = version == 3 ? c0.get(LONG, 88) : 0;
        int refcountOrder = version == 3 ? c0.get(INT, 96) : 4;
        int headerLength = version == 3 ? c0.get(INT, 100) : V2_LENGTH;
        checkFeatures(path, incompatible);
        if (refcountOrder < 0 || refcountOrder > 6) {
            throw new ImageException(path, "refcount_order " + refcountOrder + " is outside 0..6");
        }
        if (headerLength < (version == 3 ? 104 : V2_LENGTH) || headerLength > clusterSize || headerLength % 8 != 0) {
            throw new ImageException(path, "bad header_length " + headerLength);
        }
        long size = c0.get(LONG, 24);
        if (size < 0 || size % BlockDevice.SECTOR_SIZE != 0) {
            throw new ImageException(path, "virtual size " + size + " is not a multiple of "
                    + BlockDevice.SECTOR_SIZE + "-byte sectors");
        }
        long l2Coverage = (long) clusterSize * (clusterSize / 8);
        // Rounded up without size + l2Coverage - 1, which overflows for sizes near 2^63.
        long l1Needed = size / l2Coverage + (size % l2Coverage == 0 ? 0 : 1);
        int l1Size = c0.get(INT, 36);
        long l1Offset = c0.get(LONG, 40);
        if (l1Size < 0 || l1Size < l1Needed) {
            throw new ImageException(path, "L1 table of " + Integer.toUnsignedString(l1Size)
                    + " entries is too small for virtual size " + size);
        }
        if (l1Size > MAX_L1_ENTRIES) {
            throw new ImageException(path, "L1 table of " + l1Size + " entries exceeds the limit of "
                    + MAX_L1_ENTRIES + " (32 MiB, as in QEMU)");
        }
        checkTable(path, length, clusterSize, "L1 table", l1Offset, (long) l1Size * 8);
        long refcountTableOffset = c0.get(LONG, 48);
        int refcountTableClusters = c0.get(INT, 56);
        if (refcountTableClusters <= 0 || refcountTableClusters > (1 << 23)) {
            throw new ImageException(path, "bad refcount table size of " + Integer.toUnsignedString(refcountTableClusters)
                    + " clusters");
        }
        checkTable(path, length, clusterSize, "refcount table", refcountTableOffset,
                (long) refcountTableClusters * clusterSize);
        long backingOffset = c0.get(LONG, OFFSET_BACKING_FILE);
        int backingLength = c0.get(INT, 16);
        Optional<String> backingFile = Optional.empty();
        if (backingOffset != 0) {
            if (backingLength <= 0 || backingLength > MAX_BACKING_NAME || backingOffset < headerLength
                    || backingOffset + backingLength > clusterSize) {
                throw new ImageException(path, "backing file name at " + backingOffset + " (" + backingLength
                        + " bytes) lies outside the first cluster or is too long");
            }
            byte[] name = c0.asSlice(backingOffset, backingLength).toArray(ValueLayout.JAVA_BYTE);
            for (byte b : name) {
                if (b == 0) {
                    // No path can hold it (QEMU would cut the name there): refuse rather than guess.
                    throw new ImageException(path, "backing file name at " + backingOffset + " contains a NUL byte");
                }
            }
            backingFile = Optional.of(new String(name, StandardCharsets.UTF_8));
        }
        Optional<String> backingFormat = Optional.empty();
        int at = headerLength;
        while (true) {
            if (at + 8 > clusterSize) {
                throw new ImageException(path, "header extensions run past the first cluster");
            }
            int type = c0.get(INT, at);
            int extLength = c0.get(INT, at + 4);
            at += 8;
            if (type == EXTENSION_END) {
                break;
            }
            if (extLength < 0 || at + (long) extLength > clusterSize) {
                throw new ImageException(path, String.format("header extension 0x%08x of %d bytes runs past the first cluster",
                        type, extLength));
            }
            if (type == EXTENSION_BACKING_FORMAT) {
                byte[] format = c0.asSlice(at, extLength).toArray(ValueLayout.JAVA_BYTE);
                backingFormat = Optional.of(new String(format, StandardCharsets.UTF_8));
            }
            at += (extLength + 7) & ~7;
        }
        return new Qcow2Header(path, version, clusterBits, size, l1Size, l1Offset, refcountTableOffset,
                refcountTableClusters, incompatible, autoclear, refcountOrder, backingFile, backingFormat, at,
                snapshots, c0.get(LONG, 64));
    }

    private static void checkFeatures(Path path, long incompatible) throws ImageException {
        if ((incompatible & INCOMPATIBLE_DATA_FILE) != 0) {
            throw new ImageException(path, "qcow2 images with an external data file are not supported");
        }
        if ((incompatible & INCOMPATIBLE_EXTENDED_L2) != 0) {
            throw new ImageException(path, "qcow2 extended L2 entries (subclusters) are not supported");
        }
        long known = INCOMPATIBLE_DIRTY | INCOMPATIBLE_CORRUPT | INCOMPATIBLE_COMPRESSION_TYPE;
        if ((incompatible & ~known) != 0) {
            throw new ImageException(path, String.format("unknown incompatible qcow2 features 0x%x", incompatible & ~known));
        }
    }

    private static void checkTable(Path path, long fileLength, int clusterSize, String what, long offset, long bytes)
            throws ImageException {
        if (offset <= 0 || offset % clusterSize != 0) {
            throw new ImageException(path, what + " offset " + offset + " is not a non-zero multiple of the cluster size");
        }
        if (offset + bytes > fileLength || offset + bytes < 0) {
            throw new ImageException(path, "truncated: " + what + " at " + offset + "+" + bytes
                    + " ends past the end of the file (" + fileLength + " bytes)");
        }
    }
}
