package dev.ferry.kvm.bindings;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.SequenceLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.UnionLayout;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * Builders for C struct layouts with the x86-64 System V rules (natural alignment, trailing
 * padding), so each struct class lists only its fields, as the header does. Anonymous unions and
 * structs are named with the {@value #ANON} prefix, as jextract names them, and are transparent to
 * {@link #offset}.
 */
public final class CLayouts {

    /** Prefix of the name given to anonymous unions and structs. */
    public static final String ANON = "$anon";

    private CLayouts() {
    }

    public static ValueLayout u8(String name) {
        return ValueLayout.JAVA_BYTE.withName(name);
    }

    public static ValueLayout u16(String name) {
        return ValueLayout.JAVA_SHORT.withName(name);
    }

    public static ValueLayout u32(String name) {
        return ValueLayout.JAVA_INT.withName(name);
    }

    public static ValueLayout u64(String name) {
        return ValueLayout.JAVA_LONG.withName(name);
    }

    public static ValueLayout pointer(String name) {
        return ValueLayout.ADDRESS.withName(name);
    }

    /** A C array {@code element name[count]}; count 0 is a flexible array member. */
    public static SequenceLayout array(String name, long count, MemoryLayout element) {
        return MemoryLayout.sequenceLayout(count, element).withName(name);
    }

    /** A C struct: padding inserted before each member to its alignment, and at the end. */
    public static StructLayout struct(String name, MemoryLayout... members) {
        List<MemoryLayout> padded = new ArrayList<>();
        long offset = 0;
        long align = 1;
        for (MemoryLayout member : members) {
            long gap = -offset & (member.byteAlignment() - 1);
            if (gap > 0) {
                padded.add(MemoryLayout.paddingLayout(gap));
            }
            padded.add(member);
            offset += gap + member.byteSize();
            align = Math.max(align, member.byteAlignment());
        }
        long tail = -offset & (align - 1);
        if (tail > 0) {
            padded.add(MemoryLayout.paddingLayout(tail));
        }
        return MemoryLayout.structLayout(padded.toArray(MemoryLayout[]::new)).withName(name);
    }

    /** A C union, its size rounded up to its alignment. */
    public static UnionLayout union(String name, MemoryLayout... members) {
        UnionLayout union = MemoryLayout.unionLayout(members);
        long tail = -union.byteSize() & (union.byteAlignment() - 1);
        if (tail > 0) {
            MemoryLayout[] withTail = java.util.Arrays.copyOf(members, members.length + 1);
            withTail[members.length] = MemoryLayout.paddingLayout(union.byteSize() + tail);
            union = MemoryLayout.unionLayout(withTail);
        }
        return union.withName(name);
    }

    /**
     * Byte offset of the member at {@code path} (dot-separated, C's spelling such as
     * {@code "io.port"}), looking through anonymous unions and structs as C does.
     */
    public static long offset(GroupLayout group, String path) {
        long found = find(group, path.split("\\."), 0);
        if (found < 0) {
            throw new IllegalArgumentException(group.name().orElse("?") + " has no member " + path);
        }
        return found;
    }

    private static long find(GroupLayout group, String[] path, int depth) {
        long offset = 0;
        for (MemoryLayout member : group.memberLayouts()) {
            String name = member.name().orElse("");
            if (name.equals(path[depth])) {
                if (depth == path.length - 1) {
                    return offset;
                }
                if (member instanceof GroupLayout inner) {
                    long below = find(inner, path, depth + 1);
                    if (below >= 0) {
                        return offset + below;
                    }
                }
            } else if (name.startsWith(ANON) && member instanceof GroupLayout inner) {
                long below = find(inner, path, depth);
                if (below >= 0) {
                    return offset + below;
                }
            }
            if (group instanceof StructLayout) {
                offset += member.byteSize();
            }
        }
        return -1;
    }
}
