package dev.ferry.vm.linux;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The few ACPI Machine Language terms a DSDT needs to declare devices (ACPI 6.x, chapter 20):
 * Scope, Device, Name, strings, integers and buffers, each encoded to its bytes. Objects hold no
 * methods, so the AML is data only: what the kernel's interpreter reads, never runs.
 */
final class Aml {

    private static final int ZERO_OP = 0x00;
    private static final int ONE_OP = 0x01;
    private static final int NAME_OP = 0x08;
    private static final int BYTE_PREFIX = 0x0a;
    private static final int WORD_PREFIX = 0x0b;
    private static final int DWORD_PREFIX = 0x0c;
    private static final int STRING_PREFIX = 0x0d;
    private static final int QWORD_PREFIX = 0x0e;
    private static final int SCOPE_OP = 0x10;
    private static final int BUFFER_OP = 0x11;
    private static final int EXT_OP_PREFIX = 0x5b;
    private static final int DEVICE_OP = 0x82;
    private static final int ROOT_CHAR = '\\';
    private static final int MAX_PKG_LENGTH = 1 << 28;

    private Aml() {
    }

    /** {@code Scope (path) { terms }}, e.g. path "\_SB_". */
    static byte[] scope(String path, byte[]... terms) {
        return concat(new byte[] {SCOPE_OP}, withPkgLength(concat(nameString(path), concat(terms))));
    }

    /** {@code Device (name) { terms }}. */
    static byte[] device(String name, byte[]... terms) {
        return concat(new byte[] {EXT_OP_PREFIX, (byte) DEVICE_OP}, withPkgLength(concat(nameSeg(name), concat(terms))));
    }

    /** {@code Name (name, value)}. */
    static byte[] name(String name, byte[] value) {
        return concat(new byte[] {NAME_OP}, nameSeg(name), value);
    }

    /** A String object: ASCII, zero-terminated. */
    static byte[] string(String s) {
        if (!StandardCharsets.US_ASCII.newEncoder().canEncode(s) || s.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("AML string: ASCII without NUL only: " + s);
        }
        return concat(new byte[] {STRING_PREFIX}, s.getBytes(StandardCharsets.US_ASCII), new byte[] {0});
    }

    /** An Integer object in the shortest encoding (Zero, One, Byte, Word, DWord or QWord constant). */
    static byte[] integer(long value) {
        if (value == 0) {
            return new byte[] {ZERO_OP};
        }
        if (value == 1) {
            return new byte[] {ONE_OP};
        }
        int bytes = value >>> 8 == 0 ? 1 : value >>> 16 == 0 ? 2 : value >>> 32 == 0 ? 4 : 8;
        int prefix = switch (bytes) {
            case 1 -> BYTE_PREFIX;
            case 2 -> WORD_PREFIX;
            case 4 -> DWORD_PREFIX;
            default -> QWORD_PREFIX;
        };
        byte[] out = new byte[1 + bytes];
        out[0] = (byte) prefix;
        for (int i = 0; i < bytes; i++) {
            out[1 + i] = (byte) (value >>> (8 * i));
        }
        return out;
    }

    /** A Buffer object holding {@code data}: {@code Buffer (size) { data }}. */
    static byte[] buffer(byte[] data) {
        return concat(new byte[] {BUFFER_OP}, withPkgLength(concat(integer(data.length), data)));
    }

    /**
     * One 4-character name segment: a letter or '_', then letters, digits or '_'; shorter names
     * are padded with '_' as ASL does.
     */
    static byte[] nameSeg(String name) {
        if (!name.matches("[A-Z_][A-Z0-9_]{0,3}")) {
            throw new IllegalArgumentException("AML name segment: 1-4 of A-Z, 0-9, _ (not a leading digit): " + name);
        }
        return (name + "___".substring(0, 4 - name.length())).getBytes(StandardCharsets.US_ASCII);
    }

    /** A name string: a single segment, optionally rooted ("\_SB_"). */
    static byte[] nameString(String path) {
        boolean rooted = path.startsWith("\\");
        byte[] seg = nameSeg(rooted ? path.substring(1) : path);
        return rooted ? concat(new byte[] {ROOT_CHAR}, seg) : seg;
    }

    /**
     * {@code body} preceded by its PkgLength, which counts itself: one byte up to 63 bytes in all,
     * else a lead byte (count of follow bytes in bits 7-6, the low 4 bits of the length) and one to
     * three bytes holding the rest.
     */
    static byte[] withPkgLength(byte[] body) {
        for (int extra = 0; extra <= 3; extra++) {
            long total = body.length + 1L + extra;
            long limit = extra == 0 ? 1 << 6 : 1L << (4 + 8 * extra);
            if (total < limit) {
                byte[] out = new byte[(int) total];
                if (extra == 0) {
                    out[0] = (byte) total;
                } else {
                    out[0] = (byte) ((extra << 6) | (total & 0x0f));
                    for (int i = 0; i < extra; i++) {
                        out[1 + i] = (byte) (total >>> (4 + 8 * i));
                    }
                }
                System.arraycopy(body, 0, out, 1 + extra, body.length);
                return out;
            }
        }
        throw new IllegalArgumentException("AML package of " + body.length + " bytes: at most " + MAX_PKG_LENGTH);
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }
}
