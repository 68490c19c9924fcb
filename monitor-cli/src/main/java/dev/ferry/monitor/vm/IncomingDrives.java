package dev.ferry.monitor.vm;

import dev.ferry.blockmig.BackingIdentity;
import dev.ferry.blockmig.BlockTargetSection;
import dev.ferry.savevm.MigrationException;
import dev.ferry.savevm.Phase;
import dev.ferry.vm.block.Allocation;
import dev.ferry.vm.block.BlockDevice;
import dev.ferry.vm.block.BlockImages;
import dev.ferry.vm.block.Extent;
import dev.ferry.vm.block.ImageFormat;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;
import java.util.SequencedMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The destination's drives for one incoming migration, settled in the CONFIG stage, before the
 * destination answers and before any data moves, for every machine kind: each drive the storage
 * copy carries is created (marked as Ferry's) or checked (size, format, empty unless it is
 * Ferry's or {@code overwrite=on}, for an incremental copy every byte of its backing file), each
 * drive used as it is must exist with the source's size and format and be the source's very file
 * (or {@code shared=on}). Open the drives with {@link #prepare}; on success {@link #handOver}
 * gives them to the VM and {@link #release}, once it runs, lets go of the copy's parts;
 * otherwise {@link #close} closes them and deletes the images it created. Closing twice, or
 * after the hand-over, does nothing.
 */
public final class IncomingDrives implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(IncomingDrives.class);

    private final SequencedMap<String, BlockDevice> devices = new LinkedHashMap<>();
    private final List<BlockTargetSection> targets = new ArrayList<>();
    private final List<Path> created = new ArrayList<>();
    private final List<Path> received = new ArrayList<>();
    private boolean done;

    private IncomingDrives() {
    }

    /**
     * Checks and opens every drive of {@code local} (the destination's {@code --disk} options)
     * against {@code source}; fails with one line naming the drive, its file and both values.
     */
    public static IncomingDrives prepare(List<DriveSpec> local, VmConfig source) throws IOException {
        requireSameDrives(local, source);
        IncomingDrives drives = new IncomingDrives();
        try {
            for (int i = 0; i < local.size(); i++) {
                DriveSpec spec = local.get(i);
                DriveFacts facts = source.drives().get(i);
                if (source.copied().contains(spec.id())) {
                    drives.receiving(spec, facts, source.storage().equals("incremental"));
                } else {
                    drives.usedAsItIs(spec, facts);
                }
            }
            return drives;
        } catch (IOException | RuntimeException e) {
            drives.close();
            throw e;
        }
    }

    /** Fails unless the source has the drives of {@code local}, by id and in order. */
    public static void requireSameDrives(List<DriveSpec> local, VmConfig source) throws MigrationException {
        List<String> ids = local.stream().map(DriveSpec::id).toList();
        if (!source.driveIds().equals(ids)) {
            throw new MigrationException(Phase.CONFIG, "the source has drives " + source.driveIds()
                    + ", this destination " + ids + " (give the destination the same --disk ids, in order)");
        }
    }

    /** The drives, opened, in the VM's order. */
    public SequencedMap<String, BlockDevice> devices() {
        return devices;
    }

    /** The target sections of the drives the storage copy carries: register them for the stream. */
    public List<BlockTargetSection> targets() {
        return targets;
    }

    /**
     * The migration succeeded: the drives are the VM's now. What the copy used is let go by
     * {@link #release} once the VM runs: the source stopped for good at the ACK, so nothing
     * after it may keep the VM from starting.
     */
    public SequencedMap<String, BlockDevice> handOver() {
        done = true;
        return devices;
    }

    /**
     * After {@link #handOver}, with the VM running: closes the copy's target sections and clears
     * the images' incoming marks (also of an image an earlier, killed attempt had created and this
     * one filled). A failure is logged; the VM keeps its drives.
     */
    public void release() {
        try {
            BlockTargetSection.closeAll(targets);
        } catch (IOException e) {
            LOG.warn("closing the target sections: {}", e.getMessage());
        }
        for (Path path : received) {
            IncomingMark.of(path).clear();
        }
    }

    private void receiving(DriveSpec spec, DriveFacts facts, boolean incremental) throws IOException {
        Path path = spec.path();
        String drive = spec.id();
        boolean create = Files.notExists(path);
        received.add(path);
        if (create) {
            create(spec, facts, incremental);
            created.add(path);
            IncomingMark.of(path).set();
        }
        BlockDevice device = open(spec, facts);
        if (!create && !spec.overwrite() && !IncomingMark.of(path).isSet()) {
            requireEmpty(drive, device, incremental);
        } else if (!create && incremental && holdsData(device)) {
            device = emptied(spec, device);
        }
        if (incremental) {
            BlockDevice base = device.backing().orElseThrow(() -> refuse(drive, "destination image " + path
                    + " has no backing file, and an incremental copy needs the overlay of the source's backing file"));
            facts.backing().orElseThrow(() -> refuse(drive, "the source sent no backing identity"))
                    .requireSame(BackingIdentity.of(base), drive, base.path().toString());
        }
        targets.add(BlockTargetSection.into(drive, device));
    }

    private static void create(DriveSpec spec, DriveFacts facts, boolean incremental) throws IOException {
        if (incremental) {
            Path base = spec.backing().orElseThrow(() -> refuse(spec.id(), "destination image " + spec.path()
                    + " does not exist, and an incremental copy needs --disk ...,backing=PATH to create it over"));
            BlockImages.createQcow2Overlay(spec.path(), base);
            return;
        }
        switch (facts.format()) {
            case RAW -> BlockImages.createRaw(spec.path(), facts.size());
            case QCOW2 -> BlockImages.createQcow2(spec.path(), facts.size(), BlockImages.DEFAULT_CLUSTER_SIZE);
        }
    }

    private void usedAsItIs(DriveSpec spec, DriveFacts facts) throws IOException {
        if (Files.notExists(spec.path())) {
            throw refuse(spec.id(), spec.path() + " does not exist, and the migration does not copy this drive"
                    + " (migrate -b or -i copies it)");
        }
        open(spec, facts);
        if (!spec.shared() && !FileIdentity.of(spec.path()).sameFileAs(facts.file())) {
            throw refuse(spec.id(), spec.path() + " is not the source's image, and the migration does not copy this"
                    + " drive: copy it (migrate -b or -i), or say the storage is shared (--disk ...,shared=on)");
        }
    }

    /** Opens the image after comparing its probed format, so a file is never read as the wrong format. */
    private BlockDevice open(DriveSpec spec, DriveFacts facts) throws IOException {
        String drive = spec.id();
        ImageFormat format = BlockImages.info(spec.path()).format();
        if (format != facts.format() || spec.format().filter(f -> f != format).isPresent()) {
            throw refuse(drive, "destination image " + spec.path() + " is " + format.id() + ", the source's is "
                    + facts.format().id());
        }
        BlockDevice device = BlockImages.open(spec.path(), format, spec.readOnly());
        devices.put(drive, device);
        if (device.size() != facts.size()) {
            throw refuse(drive, "destination image " + spec.path() + " has size " + device.size()
                    + " bytes, the source's has " + facts.size());
        }
        return device;
    }

    /** A copy must not land on data nobody said may go: the first allocated range is named. */
    private static void requireEmpty(String drive, BlockDevice device, boolean incremental) throws IOException {
        Optional<Extent> data = firstData(device);
        if (data.isPresent()) {
            throw refuse(drive, "destination image " + device.path() + " already holds data (bytes "
                    + data.get().offset() + ".." + (data.get().end() - 1) + (incremental ? " of the overlay" : "")
                    + "): give an empty image, or --disk ...,overwrite=on to replace it");
        }
    }

    private static boolean holdsData(BlockDevice device) throws IOException {
        return firstData(device).isPresent();
    }

    private static Optional<Extent> firstData(BlockDevice device) throws IOException {
        for (long at = 0; at < device.size(); ) {
            Extent extent = device.allocation(at, device.size() - at);
            if (extent.allocation() == Allocation.DATA) {
                return Optional.of(extent);
            }
            at = extent.end();
        }
        return Optional.empty();
    }

    /**
     * An overlay that may be overwritten is created anew over the same backing file: an
     * incremental copy sends only the source's top layer, so clusters of the old overlay would
     * outlive it.
     */
    private BlockDevice emptied(DriveSpec spec, BlockDevice device) throws IOException {
        Path base = device.backing().orElseThrow().path();
        devices.remove(spec.id());
        device.close();
        Files.delete(spec.path());
        BlockImages.createQcow2Overlay(spec.path(), base);
        LOG.info("drive {}: {} created anew over {} (it held data, and may be overwritten)", spec.id(), spec.path(), base);
        BlockDevice fresh = BlockImages.open(spec.path(), ImageFormat.QCOW2, spec.readOnly());
        devices.put(spec.id(), fresh);
        return fresh;
    }

    private static MigrationException refuse(String drive, String problem) {
        return new MigrationException(Phase.CONFIG, "drive " + drive + ": " + problem);
    }

    /** Closes every drive and deletes the images this migration created; only the first call acts. */
    @Override
    public void close() {
        if (done) {
            return;
        }
        done = true;
        try {
            BlockTargetSection.closeAll(targets);
        } catch (IOException e) {
            LOG.warn("closing the target sections: {}", e.getMessage());
        }
        Drives.closeAll(devices);
        for (Path path : created) {
            try {
                IncomingMark.of(path).clear();
                if (Files.deleteIfExists(path)) {
                    LOG.info("removed {}, which the failed migration had created", path);
                }
            } catch (IOException e) {
                LOG.warn("could not remove {}, which the failed migration had created: {}", path, e.getMessage());
            }
        }
    }

}
