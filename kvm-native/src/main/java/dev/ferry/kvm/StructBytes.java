package dev.ferry.kvm;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * The raw bytes of a KVM state struct (xsave area, LAPIC page, ...), immutable and compared by
 * content, so the state records holding them have value equality.
 */
public final class StructBytes {

    private final byte[] bytes;

    private StructBytes(byte[] bytes) {
        this.bytes = bytes;
    }

    /**
     * A copy of {@code source}'s bytes.
     *
     * @param source the struct's memory
     * @return the copy
     */
    public static StructBytes copyOf(MemorySegment source) {
        return new StructBytes(source.toArray(ValueLayout.JAVA_BYTE));
    }

    /**
     * A copy of {@code source}.
     *
     * @param source the bytes
     * @return the copy
     */
    public static StructBytes copyOf(byte[] source) {
        return new StructBytes(source.clone());
    }

    /**
     * Number of bytes.
     *
     * @return bytes
     */
    public int size() {
        return bytes.length;
    }

    /**
     * A read-only view of the bytes.
     *
     * @return the view
     */
    public MemorySegment segment() {
        return MemorySegment.ofArray(bytes).asReadOnly();
    }

    /**
     * A fresh copy of the bytes, e.g. to write to a stream.
     *
     * @return a new array
     */
    public byte[] toArray() {
        return bytes.clone();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof StructBytes that && Arrays.equals(bytes, that.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return bytes.length + " bytes " + HexFormat.of().formatHex(bytes, 0, Math.min(bytes.length, 16))
                + (bytes.length > 16 ? "..." : "");
    }
}
