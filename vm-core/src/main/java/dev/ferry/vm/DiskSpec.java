package dev.ferry.vm;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A disk image the machine attaches as a virtio-blk device (format probed: raw or qcow2).
 *
 * @param image the image file
 * @param readOnly whether the guest may write it
 */
public record DiskSpec(Path image, boolean readOnly) {

    public DiskSpec {
        Objects.requireNonNull(image, "image");
    }

    public static DiskSpec of(Path image) {
        return new DiskSpec(image, false);
    }
}
