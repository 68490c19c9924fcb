package dev.ferry.savevm;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * Names a section in the stream: {@code idstr} says what it is ("ram", "cpu", "block:disk0"),
 * {@code instance} tells apart several of the same kind, {@code version} is the layout of its
 * payload. Source and destination match sections by idstr and instance; the version decides
 * whether the destination can load it.
 *
 * @param idstr what the section is; 1 to {@value #MAX_IDSTR_BYTES} UTF-8 bytes
 * @param instance which of several sections of one kind, from 0
 * @param version the payload layout, not negative
 */
public record SectionId(String idstr, int instance, int version) {

    /** The longest idstr the stream carries, in UTF-8 bytes. */
    public static final int MAX_IDSTR_BYTES = 255;

    /**
     * Checks the components.
     *
     * @throws IllegalArgumentException if {@code idstr} is empty or too long, or instance or version is
     *         negative
     */
    public SectionId {
        Objects.requireNonNull(idstr, "idstr");
        int bytes = idstr.getBytes(StandardCharsets.UTF_8).length;
        if (bytes == 0 || bytes > MAX_IDSTR_BYTES) {
            throw new IllegalArgumentException("section idstr '" + idstr + "' must be 1.." + MAX_IDSTR_BYTES + " UTF-8 bytes");
        }
        if (instance < 0 || version < 0) {
            throw new IllegalArgumentException("section '" + idstr + "': instance and version must not be negative");
        }
    }

    /**
     * The same section at another version: what a stream may announce.
     *
     * @param otherVersion the version the stream announces
     * @return this idstr and instance with {@code otherVersion}
     */
    public SectionId withVersion(int otherVersion) {
        return new SectionId(idstr, instance, otherVersion);
    }

    /**
     * Whether {@code other} names the same section, whatever its version.
     *
     * @param other a section id, maybe of another version
     * @return true if idstr and instance are equal
     */
    public boolean sameSection(SectionId other) {
        return idstr.equals(other.idstr) && instance == other.instance;
    }

    @Override
    public String toString() {
        return "'" + idstr + "' instance " + instance + " v" + version;
    }
}
