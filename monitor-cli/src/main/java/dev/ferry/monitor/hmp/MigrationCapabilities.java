package dev.ferry.monitor.hmp;

import java.util.List;

/**
 * QEMU's migration capabilities that Ferry has; set before a migration starts.
 *
 * @param block copy the disks with every migration, as {@code migrate -b} (or {@code -i} with the
 *     block-incremental parameter)
 * @param events send the QMP {@code MIGRATION} event on every status change
 * @param autoConverge throttle the guest when its writes keep the copy from converging; on by
 *     default in Ferry (QEMU's default is off), since a copy that never converges never ends
 */
public record MigrationCapabilities(boolean block, boolean events, boolean autoConverge) {

    /** Their names, in the order QEMU lists them. */
    public static final List<String> NAMES = List.of("auto-converge", "events", "block");

    public static MigrationCapabilities defaults() {
        return new MigrationCapabilities(false, false, true);
    }

    public boolean get(String name) {
        return switch (name) {
            case "block" -> block;
            case "events" -> events;
            case "auto-converge" -> autoConverge;
            default -> throw unknown(name);
        };
    }

    public MigrationCapabilities with(String name, boolean on) {
        return switch (name) {
            case "block" -> new MigrationCapabilities(on, events, autoConverge);
            case "events" -> new MigrationCapabilities(block, on, autoConverge);
            case "auto-converge" -> new MigrationCapabilities(block, events, on);
            default -> throw unknown(name);
        };
    }

    private static IllegalArgumentException unknown(String name) {
        return new IllegalArgumentException("unknown capability '" + name + "' (Ferry has " + String.join(", ", NAMES) + ")");
    }
}
