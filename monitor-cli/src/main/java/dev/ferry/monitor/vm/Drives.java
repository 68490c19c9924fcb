package dev.ferry.monitor.vm;

import dev.ferry.vm.block.BlockDevice;
import dev.ferry.vm.block.ImageFormat;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Opening and closing the images of {@code --disk} options. */
final class Drives {

    private static final Logger LOG = LoggerFactory.getLogger(Drives.class);

    private Drives() {
    }

    static BlockDevice open(DriveSpec spec) throws IOException {
        BlockDevice device = spec.diskSpec().open();
        if (spec.format().isEmpty() && device.format() == ImageFormat.RAW && !spec.readOnly()) {
            // QEMU warns too: the guest owns every byte of a raw image, so it can write a qcow2
            // header there and the next probe would read the host file it names as a backing file.
            System.err.println("ferry: warning: image format was not specified for '" + spec.path()
                    + "' and probing guessed raw; probing a raw image the guest writes is dangerous: add format=raw");
        }
        return device;
    }

    /** Opens every drive, or none: a failure closes what was opened. */
    static SequencedMap<String, BlockDevice> openAll(List<DriveSpec> specs) throws IOException {
        SequencedMap<String, BlockDevice> disks = new LinkedHashMap<>();
        try {
            for (DriveSpec spec : specs) {
                if (disks.containsKey(spec.id())) {
                    throw new IllegalArgumentException("two --disk options have id '" + spec.id() + "'");
                }
                disks.put(spec.id(), open(spec));
            }
            return disks;
        } catch (IOException | RuntimeException e) {
            closeAll(disks);
            throw e;
        }
    }

    static void closeAll(Map<String, BlockDevice> disks) {
        disks.forEach((id, disk) -> {
            try {
                disk.close();
            } catch (IOException e) {
                LOG.warn("closing drive {} ({}): {}", id, disk.path(), e.getMessage());
            }
        });
    }
}
