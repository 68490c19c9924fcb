package dev.ferry.monitor.vm;

import dev.ferry.vm.DiskSpec;
import dev.ferry.vm.block.ImageFormat;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * One {@code --disk PATH[,format=raw|qcow2][,id=NAME][,readonly=on][,backing=PATH][,shared=on][,overwrite=on]}
 * option, also in QEMU's {@code -drive file=PATH,format=...,if=virtio} spelling.
 * Without a format the image is probed (a raw image the guest writes should name its format, so
 * the guest cannot make it look like qcow2). {@code backing} is for a destination that creates
 * the overlay an incremental migration fills. On a destination, {@code shared=on} says the image is
 * the source's own on shared storage (a migration without storage copy may use it as it is), and
 * {@code overwrite=on} lets a storage copy overwrite an image that already holds data.
 */
public record DriveSpec(Path path, Optional<ImageFormat> format, String id, boolean readOnly, Optional<Path> backing,
                        boolean shared, boolean overwrite) {

    public DriveSpec {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(format, "format");
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(backing, "backing");
    }

    /** Parses the option's value; {@code index} gives the default id (vda, vdb, ...). */
    public static DriveSpec parse(String value, int index) {
        String[] parts = value.split(",");
        if (parts[0].startsWith("file=")) {
            parts[0] = parts[0].substring("file=".length());
        }
        if (parts[0].isEmpty()) {
            throw new IllegalArgumentException("--disk '" + value + "' has no path (--disk PATH[,format=raw|qcow2][,id=NAME])");
        }
        Optional<ImageFormat> format = Optional.empty();
        String id = defaultId(index);
        boolean readOnly = false;
        Optional<Path> backing = Optional.empty();
        boolean shared = false;
        boolean overwrite = false;
        for (int i = 1; i < parts.length; i++) {
            int eq = parts[i].indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("--disk '" + value + "': '" + parts[i] + "' is not KEY=VALUE");
            }
            String key = parts[i].substring(0, eq);
            String val = parts[i].substring(eq + 1);
            switch (key) {
                case "format" -> format = Optional.of(ImageFormat.fromId(val));
                case "id" -> id = checkedId(val, value);
                case "readonly" -> readOnly = onOff(key, val, value);
                case "shared" -> shared = onOff(key, val, value);
                case "overwrite" -> overwrite = onOff(key, val, value);
                case "backing" -> backing = Optional.of(Path.of(val));
                case "if" -> {
                    if (!val.equals("virtio")) {
                        throw new IllegalArgumentException("--disk '" + value + "': if=" + val + " is not supported (Ferry's disks are virtio)");
                    }
                }
                default -> throw new IllegalArgumentException("--disk '" + value + "': unknown key '" + key
                        + "' (known: file, format, id, readonly, backing, shared, overwrite, if=virtio)");
            }
        }
        return new DriveSpec(Path.of(parts[0]), format, id, readOnly, backing, shared, overwrite);
    }

    /** The image as a machine attaches it: with its format when the option names one. */
    public DiskSpec diskSpec() {
        return new DiskSpec(path, format, readOnly);
    }

    private static String defaultId(int index) {
        if (index < 0 || index >= 26) {
            throw new IllegalArgumentException("at most 26 disks");
        }
        return "vd" + (char) ('a' + index);
    }

    private static String checkedId(String id, String value) {
        if (!id.matches("[A-Za-z][A-Za-z0-9_-]{0,31}")) {
            throw new IllegalArgumentException("--disk '" + value + "': id '" + id
                    + "' must start with a letter and hold letters, digits, _ or - (32 at most)");
        }
        return id;
    }

    private static boolean onOff(String key, String val, String value) {
        return switch (val.toLowerCase(Locale.ROOT)) {
            case "on", "true", "yes" -> true;
            case "off", "false", "no" -> false;
            default -> throw new IllegalArgumentException("--disk '" + value + "': " + key + " must be on or off");
        };
    }
}
