package dev.ferry.vm.block;

import java.util.Locale;

/** The image formats Ferry reads and writes. */
public enum ImageFormat {
    RAW,
    QCOW2;

    /** The name users type and qemu-img prints. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static ImageFormat fromId(String id) {
        for (ImageFormat format : values()) {
            if (format.id().equals(id)) {
                return format;
            }
        }
        throw new IllegalArgumentException("unknown image format '" + id + "' (expected raw or qcow2)");
    }
}
