package dev.ferry.monitor.hmp;

import java.util.List;

/**
 * QEMU's migration capabilities that Ferry has; set before a migration starts.
 *
 * @param block copy the disks with every migration, as {@code migrate -b} (or {@code -i} with the
 *     block-incremental parameter)
 * @param events send the QMP {@code MIGRATION} event on every status change
 */
public record MigrationCapabilities(boolean block, boolean events) {

    /** Their names, in the order QEMU lists them. */
    public static final List<String> NAMES = List.of("events", "block");

    public static MigrationCapabilities defaults() {
        return new MigrationCapabilities(false, false);
    }

    public boolean get(String name) {
        return switch (name) {
            case "block" -> block;
            case "events" -> events;
            default -> throw unknown(name);
        };
    }

    public MigrationCapabilities with(String name, boolean on) {
        return switch (name) {
            case "block" -> new MigrationCapabilities(on, events);
            case "events" -> new MigrationCapabilities(block, on);
            default -> throw unknown(name);
        };
    }

    private static IllegalArgumentException unknown(String name) {
        return new IllegalArgumentException("unknown capability '" + name + "' (Ferry has " + String.join(", ", NAMES) + ")");
    }
}
