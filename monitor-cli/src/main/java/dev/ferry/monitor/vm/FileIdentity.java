package dev.ferry.monitor.vm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;

/**
 * Which file a drive is, as far as one running kernel can tell: its boot id and the file key
 * (device and inode). Two equal identities name the same file, so a drive the migration does not
 * copy is the very same storage on both sides; on another host they never match, and the
 * operator says the storage is shared instead.
 *
 * @param bootId  the kernel's {@code /proc/sys/kernel/random/boot_id}, empty if unknown
 * @param fileKey the file system's key for the file, empty if it has none
 */
public record FileIdentity(String bootId, String fileKey) {

    private static final Path BOOT_ID = Path.of("/proc/sys/kernel/random/boot_id");

    public FileIdentity {
        Objects.requireNonNull(bootId, "bootId");
        Objects.requireNonNull(fileKey, "fileKey");
    }

    static FileIdentity of(Path file) throws IOException {
        Object key = Files.readAttributes(file, BasicFileAttributes.class).fileKey();
        String boot = Files.isReadable(BOOT_ID) ? Files.readString(BOOT_ID).strip() : "";
        return new FileIdentity(boot, key == null ? "" : key.toString());
    }

    /** Whether both name one file: known on both sides, same kernel, same key. */
    boolean sameFileAs(FileIdentity other) {
        return !bootId.isEmpty() && !fileKey.isEmpty() && bootId.equals(other.bootId) && fileKey.equals(other.fileKey);
    }
}
