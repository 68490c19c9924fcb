package dev.ferry.savevm.codec;

import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * A record's shape: component names and types, recursively, as a canonical string, and its
 * CRC32C. Renaming the record class or moving its package keeps the shape; adding, removing,
 * renaming, reordering or retyping a component changes it.
 */
public final class RecordShape {

    private RecordShape() {
    }

    private static final ClassValue<Integer> HASHES = new ClassValue<>() {
        @Override
        protected Integer computeValue(Class<?> type) {
            CRC32C crc = new CRC32C();
            crc.update(describe(type).getBytes(StandardCharsets.UTF_8));
            return (int) crc.getValue();
        }
    };

    /**
     * The shape hash the codec writes before a record of {@code type}.
     *
     * @param type a record type
     * @return the hash of its canonical description
     */
    public static int hash(Class<?> type) {
        return HASHES.get(type);
    }

    /**
     * The canonical description, e.g. {@code {a:int,b:List<{x:long}>}}.
     *
     * @param type a record type or a component's type
     * @return its description
     */
    public static String describe(Type type) {
        Class<?> raw = StateCodec.rawClass(type);
        if (raw.isRecord()) {
            StringBuilder out = new StringBuilder("{");
            for (RecordComponent component : raw.getRecordComponents()) {
                if (out.length() > 1) {
                    out.append(',');
                }
                out.append(component.getName()).append(':').append(describe(component.getGenericType()));
            }
            return out.append('}').toString();
        }
        if (raw == java.util.List.class || raw == java.util.Optional.class) {
            return raw.getSimpleName() + "<" + describe(StateCodec.elementType(type)) + ">";
        }
        if (raw.isEnum()) {
            return "enum";
        }
        return raw.getSimpleName();
    }
}
