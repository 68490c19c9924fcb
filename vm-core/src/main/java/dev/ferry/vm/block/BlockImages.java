package dev.ferry.vm.block;

import dev.ferry.vm.block.internal.PosixFile;
import dev.ferry.vm.block.qcow2.Qcow2Check;
import dev.ferry.vm.block.qcow2.Qcow2Creator;
import dev.ferry.vm.block.qcow2.Qcow2Header;
import dev.ferry.vm.block.qcow2.Qcow2Image;
import dev.ferry.vm.block.raw.RawImage;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.OptionalInt;
import java.util.Set;

/**
 * Opens, creates and describes disk images. Every failure is an {@link ImageException} naming
 * the file and the problem.
 *
 * <p>Probing (opening without a format) treats a file that starts with the qcow2 magic as qcow2
 * and anything else as raw. A raw image the guest may write should be opened with its format
 * named, so a guest cannot turn its own disk into a qcow2 header that points at host files.
 */
public final class BlockImages {

    /** The cluster size qemu-img uses by default. */
    public static final int DEFAULT_CLUSTER_SIZE = 64 * 1024;
    private static final int MAX_CHAIN = 64;
    private static final int DIGEST_CHUNK = 1 << 20;

    private BlockImages() {
    }

    /**
     * Opens an image of a probed format with its whole backing chain (backing files read-only).
     *
     * @param path the image file
     * @param readOnly whether to refuse writes
     * @return the open device; closing it closes the chain
     * @throws IOException an {@link ImageException} naming the file for a bad image or backing chain
     */
    public static BlockDevice open(Path path, boolean readOnly) throws IOException {
        return open(path, null, readOnly, new HashSet<>());
    }

    /**
     * Opens an image of the given format with its whole backing chain (backing files read-only).
     *
     * @param path the image file
     * @param format its format, not probed
     * @param readOnly whether to refuse writes
     * @return the open device; closing it closes the chain
     * @throws IOException an {@link ImageException} naming the file for a bad image or backing chain
     */
    public static BlockDevice open(Path path, ImageFormat format, boolean readOnly) throws IOException {
        return open(path, format, readOnly, new HashSet<>());
    }

    private static BlockDevice open(Path path, ImageFormat format, boolean readOnly, Set<Path> chain)
            throws IOException {
        if (!Files.exists(path)) {
            throw new ImageException(path, "no such file");
        }
        if (Files.isDirectory(path)) {
            // A backing name like "." or ".." lands here; open(2) would succeed and lseek lie about its size.
            throw new ImageException(path, "is a directory, not a disk image");
        }
        PosixFile file = PosixFile.open(path, readOnly);
        try {
            ImageFormat actual = format != null ? format : probe(file);
            if (actual == ImageFormat.RAW) {
                return RawImage.open(file);
            }
            Qcow2Header header = Qcow2Header.read(file);
            chain.add(path.toRealPath());
            Optional<BlockDevice> backing = Optional.empty();
            if (header.backingFile().isPresent()) {
                backing = Optional.of(openBacking(path, header, chain));
            }
            try {
                return Qcow2Image.open(file, header, backing);
            } catch (IOException | RuntimeException e) {
                if (backing.isPresent()) {
                    backing.get().close();
                }
                throw e;
            }
        } catch (IOException | RuntimeException e) {
            file.close();
            throw e;
        }
    }

    private static BlockDevice openBacking(Path overlay, Qcow2Header header, Set<Path> chain) throws IOException {
        String name = header.backingFile().orElseThrow();
        Path backingPath = resolveBacking(overlay, name);
        if (!Files.exists(backingPath)) {
            throw new ImageException(overlay, "backing file '" + name + "' (" + backingPath + ") does not exist");
        }
        if (chain.contains(backingPath.toRealPath())) {
            throw new ImageException(overlay, "backing chain loops: backing file '" + name + "' is already in the chain");
        }
        if (chain.size() >= MAX_CHAIN) {
            throw new ImageException(overlay, "backing chain is longer than " + MAX_CHAIN + " images");
        }
        ImageFormat format = null;
        if (header.backingFormat().isPresent()) {
            try {
                format = ImageFormat.fromId(header.backingFormat().get());
            } catch (IllegalArgumentException e) {
                throw new ImageException(overlay, "backing file format '" + header.backingFormat().get()
                        + "' is not supported (expected raw or qcow2)");
            }
        }
        return open(backingPath, format, true, chain);
    }

    /**
     * Builds the native calls image I/O goes through (libc's open, pread, pwrite, fdatasync...) now
     * instead of at the first image opened: in a fresh JVM that takes tens of milliseconds of CPU,
     * which a destination can spend while it waits for its source rather than before it answers.
     */
    public static void linkNativeCalls() {
        try {
            MethodHandles.lookup().ensureInitialized(PosixFile.class);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("vm-core cannot initialise its own PosixFile", e);
        }
    }

    /**
     * Where a backing file named in {@code overlay}'s header lives: relative names start in the overlay's
     * folder.
     *
     * @param overlay the overlay file
     * @param name the backing file name its header holds
     * @return the backing file's path
     */
    public static Path resolveBacking(Path overlay, String name) {
        Path named = Path.of(name);
        if (named.isAbsolute()) {
            return named;
        }
        Path folder = overlay.toAbsolutePath().getParent();
        return folder.resolve(named).normalize();
    }

    private static ImageFormat probe(PosixFile file) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment start = arena.allocate(4);
            file.read(0, start);
            return Qcow2Header.hasMagic(start) ? ImageFormat.QCOW2 : ImageFormat.RAW;
        }
    }

    /**
     * Creates a sparse raw image of {@code size} bytes; the file must not exist.
     *
     * @param path the new file
     * @param size virtual size in bytes, a multiple of 512
     * @throws IOException if the file exists or cannot be created
     */
    public static void createRaw(Path path, long size) throws IOException {
        if (size < 0 || size % BlockDevice.SECTOR_SIZE != 0) {
            throw new ImageException(path, "size " + size + " is not a multiple of " + BlockDevice.SECTOR_SIZE);
        }
        try (PosixFile file = PosixFile.create(path)) {
            RawImage.create(file, size);
        }
    }

    /**
     * Creates an empty qcow2 (version 3) image; the file must not exist.
     *
     * @param path the new file
     * @param size virtual size in bytes, a multiple of 512
     * @param clusterSize bytes per cluster, a power of two
     * @throws IOException if the file exists or cannot be created
     */
    public static void createQcow2(Path path, long size, int clusterSize) throws IOException {
        create(path, size, clusterSize, Optional.empty());
    }

    /**
     * Creates a qcow2 overlay of {@code backingPath} with its size. The header names the backing
     * file relative to the overlay's folder, so the pair can move together.
     *
     * @param path the new overlay file
     * @param backingPath the backing image, raw or qcow2
     * @throws IOException if the file exists, or the backing cannot be read
     */
    public static void createQcow2Overlay(Path path, Path backingPath) throws IOException {
        createQcow2Overlay(path, backingPath, DEFAULT_CLUSTER_SIZE);
    }

    /**
     * As {@link #createQcow2Overlay(Path, Path)}, with clusters of {@code clusterSize} bytes.
     *
     * @param path the new overlay file
     * @param backingPath the backing image, raw or qcow2
     * @param clusterSize bytes per cluster, a power of two
     * @throws IOException if the file exists, or the backing cannot be read
     */
    public static void createQcow2Overlay(Path path, Path backingPath, int clusterSize) throws IOException {
        createQcow2Overlay(path, backingPath, clusterSize, OptionalLong.empty());
    }

    /**
     * As qemu-img does with {@code -b} and a SIZE: the overlay may be larger or smaller than its backing
     * file.
     *
     * @param path the new overlay file
     * @param backingPath the backing image, raw or qcow2
     * @param clusterSize bytes per cluster, a power of two
     * @param size the overlay's virtual size; empty for the backing's
     * @throws IOException if the file exists, or the backing cannot be read
     */
    public static void createQcow2Overlay(Path path, Path backingPath, int clusterSize, OptionalLong size) throws IOException {
        Path folder = path.toAbsolutePath().getParent();
        String name = folder.relativize(backingPath.toAbsolutePath()).toString();
        try (BlockDevice backing = open(backingPath, true)) {
            create(path, size.orElse(backing.size()), clusterSize, Optional.of(new Qcow2Creator.Backing(name, backing.format())));
        }
    }

    private static void create(Path path, long size, int clusterSize, Optional<Qcow2Creator.Backing> backing)
            throws IOException {
        boolean done = false;
        try (PosixFile file = PosixFile.create(path)) {
            Qcow2Creator.create(file, size, clusterSize, backing);
            done = true;
        } finally {
            if (!done) {
                Files.deleteIfExists(path);
            }
        }
    }

    /**
     * Describes an image from its header, without opening its backing chain.
     *
     * @param path the image file
     * @return format, sizes, backing file and qcow2 flags as the header and the file say
     * @throws IOException an {@link ImageException} if the header is bad
     */
    public static ImageInfo info(Path path) throws IOException {
        if (!Files.exists(path)) {
            throw new ImageException(path, "no such file");
        }
        try (PosixFile file = PosixFile.open(path, true)) {
            long allocated = allocatedBytes(file);
            if (probe(file) == ImageFormat.RAW) {
                return new ImageInfo(path, ImageFormat.RAW, file.length(), allocated, Optional.empty(),
                        Optional.empty(), OptionalInt.empty(), OptionalInt.empty(), false, false);
            }
            Qcow2Header header = Qcow2Header.read(file);
            Optional<ImageFormat> backingFormat = header.backingFormat().flatMap(BlockImages::knownFormat);
            return new ImageInfo(path, ImageFormat.QCOW2, header.size(), allocated, header.backingFile(),
                    backingFormat, OptionalInt.of(header.clusterSize()), OptionalInt.of(header.version()),
                    header.dirty(), header.corrupt());
        }
    }

    /**
     * Checks an image's consistency as {@code qemu-img check} does, without writing to it.
     *
     * @param path the image
     * @param format its format, or null to probe it
     * @return what the check found; empty for a format that has no checks (raw)
     * @throws IOException if the file cannot be read or its header is not a qcow2 header Ferry reads
     */
    public static Optional<ImageCheck> check(Path path, ImageFormat format) throws IOException {
        if (!Files.exists(path)) {
            throw new ImageException(path, "no such file");
        }
        try (PosixFile file = PosixFile.open(path, true)) {
            ImageFormat actual = format != null ? format : probe(file);
            return actual == ImageFormat.RAW ? Optional.empty() : Optional.of(Qcow2Check.run(file));
        }
    }

    /**
     * The map of a device and its backing chain, as {@code qemu-img map} prints it: adjacent runs
     * that one layer answers alike (and, with host offsets, contiguous in its file) are joined.
     *
     * @param device an image opened by this class
     * @return the runs, covering the whole virtual size in order
     * @throws IOException if a layer's metadata cannot be read
     */
    public static List<MapExtent> map(BlockDevice device) throws IOException {
        return ImageMapper.map(device);
    }

    private static Optional<ImageFormat> knownFormat(String id) {
        try {
            return Optional.of(ImageFormat.fromId(id));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private static long allocatedBytes(PosixFile file) throws IOException {
        long total = 0;
        long data = file.nextData(0);
        while (data >= 0) {
            long hole = file.nextHole(data);
            total += hole - data;
            data = file.nextData(hole);
        }
        return total;
    }

    /**
     * The backing file of a qcow2 overlay as its header names it, with its format and size.
     *
     * @param device an open image
     * @return the backing file, or empty for raw or a qcow2 without backing
     */
    public static Optional<BackingFile> backingFile(BlockDevice device) {
        if (!(device instanceof Qcow2Image qcow2) || device.backing().isEmpty()) {
            return Optional.empty();
        }
        BlockDevice backing = device.backing().get();
        return Optional.of(new BackingFile(qcow2.header().backingFile().orElseThrow(), backing.format(),
                backing.size()));
    }

    /**
     * SHA-256 of the device's whole virtual content (zero ranges are hashed without reading them).
     *
     * @param device an open image
     * @return 32 bytes
     * @throws IOException if the device cannot be read
     */
    public static byte[] sha256(BlockDevice device) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("every JDK has SHA-256", e);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(DIGEST_CHUNK, 4096);
            MemorySegment zeroes = arena.allocate(DIGEST_CHUNK, 4096);
            long offset = 0;
            while (offset < device.size()) {
                Extent extent = device.allocation(offset, Math.min(DIGEST_CHUNK, device.size() - offset));
                MemorySegment chunk;
                if (extent.allocation() == Allocation.ZERO) {
                    chunk = zeroes.asSlice(0, extent.length());
                } else {
                    chunk = buffer.asSlice(0, extent.length());
                    device.read(offset, chunk);
                }
                digest.update(chunk.asByteBuffer());
                offset = extent.end();
            }
        }
        return digest.digest();
    }
}
