package dev.ferry.vm;

import dev.ferry.vm.block.BlockDevice;
import dev.ferry.vm.block.BlockImages;
import dev.ferry.vm.block.ImageFormat;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * A disk image the machine attaches as a virtio-blk device.
 *
 * @param image the image file
 * @param format its format; empty: probed (raw or qcow2). A raw image the guest writes must name
 *               its format, or a guest that writes a qcow2 header into it makes the next open
 *               read it as qcow2, with any host file as its backing file
 * @param readOnly whether the guest may write it
 */
public record DiskSpec(Path image, Optional<ImageFormat> format, boolean readOnly) {

    /** Checks that no component is null. */
    public DiskSpec {
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(format, "format");
    }

    /**
     * A writable image whose format is probed.
     *
     * @param image the image file
     * @return the spec
     */
    public static DiskSpec of(Path image) {
        return new DiskSpec(image, Optional.empty(), false);
    }

    /**
     * Opens the image as its given format, or probes it when none is given.
     *
     * @return the open device
     * @throws IOException an {@link dev.ferry.vm.block.ImageException} naming the file if it cannot be opened
     */
    public BlockDevice open() throws IOException {
        return format.isPresent() ? BlockImages.open(image, format.get(), readOnly) : BlockImages.open(image, readOnly);
    }
}
