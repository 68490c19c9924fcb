package dev.ferry.monitor.vm;

import dev.ferry.vm.block.ImageException;
import dev.ferry.vm.block.IncompleteMark;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link IncompleteMark}s of one incoming migration's destination images that existed before
 * it (images it creates are deleted on failure instead): each is marked before the migration may
 * write it; after a failure the mark stays, with the reason, on every image the migration wrote
 * (its modification time moved) or that was marked already, and goes from the others; success
 * removes them all.
 */
final class IncomingImageMarks {

    private static final Logger LOG = LoggerFactory.getLogger(IncomingImageMarks.class);

    /** An image as it was when the migration began. */
    private record Existing(Path path, FileTime modified, boolean markedBefore) {
    }

    private final List<Existing> images;

    private IncomingImageMarks(List<Existing> images) {
        this.images = images;
    }

    /** Marks the writable images of {@code drives} that exist now. */
    static IncomingImageMarks begin(List<DriveSpec> drives) throws IOException {
        List<Existing> images = new ArrayList<>();
        for (DriveSpec drive : drives) {
            Path path = drive.path();
            if (drive.readOnly() || !Files.isRegularFile(path)) {
                continue;
            }
            boolean markedBefore = IncompleteMark.read(path).isPresent();
            IncompleteMark.begin(path);
            images.add(new Existing(path, Files.getLastModifiedTime(path), markedBefore));
        }
        return new IncomingImageMarks(images);
    }

    /** The VM arrived whole and runs: no image is incomplete any more. A mark that stays is logged. */
    void succeeded() {
        for (Existing image : images) {
            try {
                IncompleteMark.clear(image.path());
            } catch (IOException e) {
                LOG.warn("cannot clear the incomplete mark of {}, which the VM now runs on: {}", image.path(), e.getMessage());
            }
        }
    }

    /** The migration failed for {@code reason}: written images keep a mark that says so. */
    void failed(String reason) {
        for (Existing image : images) {
            try {
                if (image.markedBefore() || !Files.getLastModifiedTime(image.path()).equals(image.modified())) {
                    IncompleteMark.fail(image.path(), reason);
                    LOG.warn("{} is marked incomplete ({}): the failed migration had written into it", image.path(),
                            IncompleteMark.file(image.path()).getFileName());
                } else {
                    IncompleteMark.clear(image.path());
                }
            } catch (IOException e) {
                LOG.warn("cannot mark {} incomplete: {}", image.path(), e.getMessage());
            }
        }
    }

    /** {@code ferry run} without {@code --incoming}: refuses a drive that a failed migration left incomplete. */
    static void refuseMarked(List<DriveSpec> drives) throws IOException {
        for (DriveSpec drive : drives) {
            Optional<IncompleteMark> mark = IncompleteMark.read(drive.path());
            if (mark.isPresent()) {
                throw new ImageException(drive.path(), mark.get().describe() + "; migrate into it again, or delete "
                        + IncompleteMark.file(drive.path()) + " if you know its contents are good");
            }
        }
    }
}
