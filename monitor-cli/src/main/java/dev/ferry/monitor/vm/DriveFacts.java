package dev.ferry.monitor.vm;

import dev.ferry.blockmig.BackingIdentity;
import dev.ferry.vm.block.BlockDevice;
import dev.ferry.vm.block.ImageFormat;
import java.io.IOException;
import java.util.Objects;
import java.util.Optional;

/**
 * What the source says about one drive in its configuration, so the destination can check every
 * drive before any data moves: those the storage copy carries and those it uses as they are.
 *
 * @param id      the drive id
 * @param size    virtual size in bytes
 * @param format  the image format of the top layer
 * @param file    which file the source opened, to recognise the same file on shared storage
 * @param backing for a drive copied incrementally, the identity of every byte of its backing file
 */
public record DriveFacts(String id, long size, ImageFormat format, FileIdentity file, Optional<BackingIdentity> backing) {

    public DriveFacts {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(format, "format");
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(backing, "backing");
    }

    /** The facts of {@code device}; with {@code incremental}, its backing file is hashed (or taken from the cache). */
    static DriveFacts of(String id, BlockDevice device, boolean incremental) throws IOException {
        Optional<BackingIdentity> backing = Optional.empty();
        if (incremental) {
            BlockDevice base = device.backing().orElseThrow(() -> new IOException("drive " + id + ": " + device.path()
                    + " has no backing file for an incremental copy"));
            backing = Optional.of(BackingIdentity.of(base));
        }
        return new DriveFacts(id, device.size(), device.format(), FileIdentity.of(device.path()), backing);
    }
}
