package dev.ferry.vm.block;

import java.util.Locale;

/** The image formats Ferry reads and writes. */
public enum ImageFormat {
    /** A flat image: byte {@code n} of the file is byte {@code n} of the disk. */
    RAW,
    /** QEMU's copy-on-write format, versions 2 and 3, with backing files. */
    QCOW2;

    /**
     * The name users type and qemu-img prints.
     *
     * @return {@code raw} or {@code qcow2}
     */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The format a user named.
     *
     * @param id {@code raw} or {@code qcow2}
     * @return the format
     * @throws IllegalArgumentException for any other name
     */
    public static ImageFormat fromId(String id) {
        for (ImageFormat format : values()) {
            if (format.id().equals(id)) {
                return format;
            }
        }
        throw new IllegalArgumentException("unknown image format '" + id + "' (expected raw or qcow2)");
    }
}
