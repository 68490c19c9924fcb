package dev.ferry.blockmig;

import dev.ferry.vm.block.BlockDevice;
import dev.ferry.vm.block.BlockImages;
import dev.ferry.vm.block.ImageException;
import dev.ferry.vm.block.ImageInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * Where the destination keeps one drive's copy: an image file, used as it is if it exists and
 * matches the source's disk, created otherwise.
 *
 * @param drive   the drive id, as the source names it
 * @param path    the image file
 * @param backing for an incremental copy, the destination's copy of the backing file: a missing
 *                image is created as a qcow2 overlay of it, an existing one must be its overlay
 */
public record TargetImage(String drive, Path path, Optional<Path> backing) {

    /** Checks that no component is null. */
    public TargetImage {
        Objects.requireNonNull(drive, "drive");
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(backing, "backing");
    }

    /**
     * An image for a full copy, or an existing overlay for an incremental one.
     *
     * @param drive the drive id
     * @param path the image file
     * @return a target without backing
     */
    public static TargetImage of(String drive, Path path) {
        return new TargetImage(drive, path, Optional.empty());
    }

    /**
     * An image for an incremental copy: the overlay {@code path} over {@code backing}.
     *
     * @param drive the drive id
     * @param path the overlay file
     * @param backing the destination's copy of the backing file
     * @return a target with backing
     */
    public static TargetImage overlay(String drive, Path path, Path backing) {
        return new TargetImage(drive, path, Optional.of(backing));
    }

    /**
     * Opens the image for {@code spec}'s disk, first creating it with the source's size and
     * format if it does not exist, and checks it: size, format and backing file must match, or
     * this fails naming the file and both values before anything is written; a file it created
     * is deleted again.
     */
    DiskTarget open(DiskSpec spec) throws IOException {
        boolean create = Files.notExists(path);
        if (create) {
            create(spec);
        }
        BlockDevice device = null;
        try {
            device = openExisting(spec);
            return new DiskTarget(spec, device, true);
        } catch (IOException | RuntimeException e) {
            if (device != null) {
                device.close();
            }
            if (create) {
                Files.deleteIfExists(path);
            }
            throw e;
        }
    }

    private void create(DiskSpec spec) throws IOException {
        try {
            createImage(spec);
        } catch (ImageException e) {
            throw new BlockMigrationException("drive " + drive + ": destination image " + path + " cannot be created: "
                    + e.problem(), e);
        }
    }

    private void createImage(DiskSpec spec) throws IOException {
        if (spec.mode() == CopyMode.INCREMENTAL) {
            Path base = backing.orElseThrow(() -> new BlockMigrationException("drive " + drive + ": destination image "
                    + path + " does not exist, and an incremental copy needs the backing file to create it over"));
            BlockImages.createQcow2Overlay(path, base);
            return;
        }
        switch (spec.format()) {
            case RAW -> BlockImages.createRaw(path, spec.size());
            case QCOW2 -> BlockImages.createQcow2(path, spec.size(), BlockImages.DEFAULT_CLUSTER_SIZE);
        }
    }

    private BlockDevice openExisting(DiskSpec spec) throws IOException {
        // Compare the probed format before opening, so a file is never read as the wrong format.
        ImageInfo info = BlockImages.info(path);
        if (info.format() != spec.format()) {
            throw new BlockMigrationException("drive " + drive + ": destination image " + path + " is "
                    + info.format().id() + ", the source disk is " + spec.format().id());
        }
        BlockDevice device = openWritable(spec);
        if (backing.isPresent() && spec.mode() == CopyMode.INCREMENTAL) {
            Path expected = backing.get().toRealPath();
            Optional<Path> actual = device.backing().map(BlockDevice::path);
            if (actual.isEmpty() || !actual.get().toRealPath().equals(expected)) {
                device.close();
                throw new BlockMigrationException("drive " + drive + ": destination image " + path + " has backing file "
                        + actual.map(Path::toString).orElse("(none)") + ", expected " + expected);
            }
        }
        return device;
    }

    /** Opens the image read-write; a read-only file, file system or attribute is named as such. */
    private BlockDevice openWritable(DiskSpec spec) throws IOException {
        try {
            return BlockImages.open(path, spec.format(), false);
        } catch (ImageException e) {
            if (!path.equals(e.file()) || Files.isWritable(path)) {
                throw e; // a backing file's or the format's problem: the message names it already
            }
            throw new BlockMigrationException("drive " + drive + ": destination image " + path + " is not writable: "
                    + e.problem(), e);
        }
    }
}
