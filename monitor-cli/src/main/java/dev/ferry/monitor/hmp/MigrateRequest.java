package dev.ferry.monitor.hmp;

import java.util.List;
import java.util.Objects;

/**
 * An operator's {@code migrate}: where to, which storage copy, which drives (empty: all
 * writable drives); or, with {@code resume}, where a precopy-paused migration continues.
 */
public record MigrateRequest(String uri, StorageCopy storage, List<String> drives, boolean detach, boolean resume) {

    /** QEMU's {@code -b} (full) and {@code -i} (incremental), or RAM and state only. */
    public enum StorageCopy {
        NONE,
        FULL,
        INCREMENTAL
    }

    public MigrateRequest {
        Objects.requireNonNull(uri, "uri");
        Objects.requireNonNull(storage, "storage");
        drives = List.copyOf(drives);
    }
}
