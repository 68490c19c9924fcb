package dev.ferry.savevm.codec;

import dev.ferry.savevm.MigrationException;
import dev.ferry.savevm.Phase;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Constructor;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.Method;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * Encodes records deterministically, component by component in declaration order, so that a
 * state record is its own wire format (Firecracker's persist style). Encoding:
 * {@code u32 shape-hash} then the body, little-endian: primitives at their width (boolean one
 * byte 0/1), String/byte[] as u32 length + bytes, int[]/long[] as u32 count + elements, enums by
 * constant name, nested records inline, List as u32 count + elements, Optional as a 0/1 byte +
 * value. The shape hash (see {@link RecordShape}) catches a destination whose record differs.
 * Decoding checks every length against the bytes left, so corrupt counts never allocate much.
 */
public final class StateCodec {

    /**
     * Element layouts of the wire's int[] and long[]: arrays move with one bulk copy (the
     * workload's state is an int[] of a quarter million entries, encoded inside the downtime).
     */
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private StateCodec() {
    }

    /**
     * Encodes {@code value}, shape hash first.
     *
     * @param value the record to encode
     * @return its bytes
     */
    public static byte[] encode(Record value) {
        Writer writer = new Writer();
        writer.buffer.putInt(RecordShape.hash(value.getClass()));
        try {
            writer.write(value.getClass(), value);
        } catch (Fault fault) {
            throw (RuntimeException) fault.at(value.getClass().getSimpleName());
        }
        return writer.toBytes();
    }

    /**
     * Decodes a {@code type} from all of {@code bytes}.
     *
     * @param <R> the record type
     * @param type the record class
     * @param bytes the encoded record, all of it
     * @param phase the phase a refusal names
     * @return the record
     * @throws MigrationException in {@code phase} if the shape differs, bytes are missing or left over, or a value is invalid
     */
    public static <R extends Record> R decode(Class<R> type, ByteBuffer bytes, Phase phase) throws MigrationException {
        ByteBuffer in = bytes.slice().order(ByteOrder.LITTLE_ENDIAN);
        String name = type.getSimpleName();
        try {
            int expected = RecordShape.hash(type);
            int actual = in.getInt();
            if (actual != expected) {
                throw new MigrationException(phase, "record " + name + ": shape differs from the sender's (hash "
                        + Integer.toHexString(actual) + ", expected " + Integer.toHexString(expected)
                        + "): source and destination disagree on its components");
            }
            R value;
            try {
                value = type.cast(new Reader(in, phase).read(type));
            } catch (Fault fault) {
                Exception e = fault.at(name);
                if (e instanceof MigrationException refused) {
                    throw refused;
                }
                throw (RuntimeException) e;
            }
            if (in.hasRemaining()) {
                throw new MigrationException(phase, "record " + name + ": " + in.remaining() + " bytes left after decoding");
            }
            return value;
        } catch (BufferUnderflowException e) {
            throw new MigrationException(phase, "record " + name + ": truncated (" + bytes.remaining() + " bytes)", e);
        }
    }

    private static final ClassValue<Components> COMPONENTS = new ClassValue<>() {
        @Override
        protected Components computeValue(Class<?> type) {
            return Components.of(type);
        }
    };

    /**
     * Does now, for {@code type} and every record type inside it, the reflective work the first
     * encode or decode would do (components, generic types, accessors, constructor, shape hash).
     * A migration calls it for its state sections before the pause, where that first encode
     * happens, and which it would otherwise lengthen by tens of milliseconds.
     *
     * @param type a record type (or a List or Optional of one)
     */
    public static void prepare(Type type) {
        Class<?> raw = rawClass(type);
        if (raw == List.class || raw == Optional.class) {
            prepare(elementType(type));
        } else if (raw.isRecord()) {
            RecordShape.hash(raw);
            for (Type component : COMPONENTS.get(raw).types) {
                prepare(component);
            }
        }
    }

    /**
     * A failure below the record being encoded or decoded: it collects the components' names as it
     * unwinds, so that the path its message names is built only on a failure (every component
     * built its own path string, hundreds for one vCPU's state inside the downtime).
     */
    private static final class Fault extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final transient Function<String, Exception> failure;
        private String below = "";

        /** A fault whose {@code failure} makes the exception to throw from the full path of the value that failed. */
        Fault(Function<String, Exception> failure) {
            super(null, null, false, false);
            this.failure = failure;
        }

        /** Prepends {@code step} (".name", "[i]", ".get()") to the path below the record. */
        Fault under(String step) {
            below = step + below;
            return this;
        }

        Exception at(String record) {
            return failure.apply(record + below);
        }
    }

    /**
     * A record class's components and canonical constructor, looked up once; the handles take
     * and return Object, so the codec invokes them exactly, without adapting them per call.
     */
    private record Components(RecordComponent[] components, Type[] types, MethodHandle[] accessors,
                              MethodHandle constructor) {
        static Components of(Class<?> type) {
            try {
                RecordComponent[] components = type.getRecordComponents();
                // A lookup needs savevm to read the record's module; the module's `opens` grants the rest.
                StateCodec.class.getModule().addReads(type.getModule());
                MethodHandles.Lookup lookup = MethodHandles.lookup();
                MethodHandle[] accessors = new MethodHandle[components.length];
                Type[] genericTypes = new Type[components.length];
                Class<?>[] types = new Class<?>[components.length];
                for (int i = 0; i < components.length; i++) {
                    Method accessor = components[i].getAccessor();
                    accessor.setAccessible(true);
                    accessors[i] = lookup.unreflect(accessor).asType(MethodType.methodType(Object.class, Object.class));
                    genericTypes[i] = components[i].getGenericType();
                    types[i] = components[i].getType();
                }
                Constructor<?> canonical = type.getDeclaredConstructor(types);
                canonical.setAccessible(true);
                MethodHandle constructor = lookup.unreflectConstructor(canonical).asSpreader(Object[].class, types.length)
                        .asType(MethodType.methodType(Object.class, Object[].class));
                return new Components(components, genericTypes, accessors, constructor);
            } catch (ReflectiveOperationException | RuntimeException e) {
                throw new IllegalArgumentException("record " + type.getName() + " is not accessible to dev.ferry.savevm: "
                        + "its module must 'opens " + type.getPackageName() + " to dev.ferry.savevm'", e);
            }
        }
    }

    static Class<?> rawClass(Type type) {
        if (type instanceof Class<?> c) {
            return c;
        }
        if (type instanceof ParameterizedType p) {
            return (Class<?>) p.getRawType();
        }
        if (type instanceof GenericArrayType) {
            throw new IllegalArgumentException("generic arrays are not supported by the state codec: " + type);
        }
        throw new IllegalArgumentException("type " + type + " is not supported by the state codec");
    }

    static Type elementType(Type type) {
        if (type instanceof ParameterizedType p) {
            return p.getActualTypeArguments()[0];
        }
        throw new IllegalArgumentException("the state codec needs List/Optional with a concrete element type, got " + type);
    }

    private static final class Writer {
        private ByteBuffer buffer = ByteBuffer.allocate(256).order(ByteOrder.LITTLE_ENDIAN);

        byte[] toBytes() {
            byte[] bytes = new byte[buffer.position()];
            buffer.flip().get(bytes);
            return bytes;
        }

        private ByteBuffer room(long bytes) {
            if (buffer.remaining() < bytes) {
                long wanted = Math.max((long) buffer.capacity() * 2, buffer.position() + bytes);
                if (wanted > Integer.MAX_VALUE - 16) {
                    throw new IllegalArgumentException("state record larger than 2 GiB");
                }
                ByteBuffer bigger = ByteBuffer.allocate((int) wanted).order(ByteOrder.LITTLE_ENDIAN);
                buffer = bigger.put(buffer.flip());
            }
            return buffer;
        }

        void write(Type type, Object value) {
            if (value == null) {
                throw new Fault(path -> new IllegalArgumentException("state codec: " + path + " is null; encode absence with Optional"));
            }
            Class<?> raw = rawClass(type);
            switch (value) {
                case Boolean b -> room(1).put((byte) (b ? 1 : 0));
                case Byte b -> room(1).put(b);
                case Short s -> room(2).putShort(s);
                case Character c -> room(2).putChar(c);
                case Integer i -> room(4).putInt(i);
                case Long l -> room(8).putLong(l);
                case Float f -> room(4).putInt(Float.floatToRawIntBits(f));
                case Double d -> room(8).putLong(Double.doubleToRawLongBits(d));
                case String s -> writeBytes(s.getBytes(StandardCharsets.UTF_8));
                case byte[] bytes -> writeBytes(bytes);
                case int[] ints -> {
                    room(4 + 4L * ints.length).putInt(ints.length);
                    MemorySegment.copy(ints, 0, MemorySegment.ofBuffer(buffer), INT, 0, ints.length);
                    buffer.position(buffer.position() + 4 * ints.length);
                }
                case long[] longs -> {
                    room(4 + 8L * longs.length).putInt(longs.length);
                    MemorySegment.copy(longs, 0, MemorySegment.ofBuffer(buffer), LONG, 0, longs.length);
                    buffer.position(buffer.position() + 8 * longs.length);
                }
                case Enum<?> e -> writeBytes(e.name().getBytes(StandardCharsets.UTF_8));
                case Record r -> writeComponents(r);
                case List<?> list -> {
                    room(4).putInt(list.size());
                    Type element = elementType(type); // a copy of the type's arguments per call: once per list
                    for (int i = 0; i < list.size(); i++) {
                        try {
                            write(element, list.get(i));
                        } catch (Fault fault) {
                            throw fault.under("[" + i + "]");
                        }
                    }
                }
                case Optional<?> optional -> {
                    room(1).put((byte) (optional.isPresent() ? 1 : 0));
                    if (optional.isPresent()) {
                        try {
                            write(elementType(type), optional.get());
                        } catch (Fault fault) {
                            throw fault.under(".get()");
                        }
                    }
                }
                default -> throw new Fault(path -> new IllegalArgumentException("state codec: " + path + " has unsupported type "
                        + raw.getName()));
            }
        }

        private void writeBytes(byte[] bytes) {
            room(4L + bytes.length).putInt(bytes.length).put(bytes);
        }

        private void writeComponents(Record value) {
            Components components = COMPONENTS.get(value.getClass());
            for (int i = 0; i < components.components.length; i++) {
                Object componentValue;
                try {
                    componentValue = (Object) components.accessors[i].invokeExact((Object) value);
                } catch (Throwable e) {
                    throw new Fault(path -> new IllegalStateException("state codec: reading " + path + " failed", e))
                            .under("." + components.components[i].getName());
                }
                try {
                    write(components.types[i], componentValue);
                } catch (Fault fault) {
                    throw fault.under("." + components.components[i].getName());
                }
            }
        }
    }

    private static final class Reader {
        private final ByteBuffer in;
        private final Phase phase;

        Reader(ByteBuffer in, Phase phase) {
            this.in = in;
            this.phase = phase;
        }

        /** A refusal of the value being read, its path filled in on the way up. */
        private Fault refused(String why, Throwable cause) {
            return new Fault(path -> new MigrationException(phase, "state " + path + ": " + why, cause));
        }

        private Fault refused(String why) {
            return new Fault(path -> new MigrationException(phase, "state " + path + ": " + why));
        }

        Object read(Type type) {
            Class<?> raw = rawClass(type);
            if (raw == boolean.class || raw == Boolean.class) {
                byte b = in.get();
                if (b != 0 && b != 1) {
                    throw refused("boolean byte is " + b + ", not 0 or 1");
                }
                return b == 1;
            } else if (raw == byte.class || raw == Byte.class) {
                return in.get();
            } else if (raw == short.class || raw == Short.class) {
                return in.getShort();
            } else if (raw == char.class || raw == Character.class) {
                return in.getChar();
            } else if (raw == int.class || raw == Integer.class) {
                return in.getInt();
            } else if (raw == long.class || raw == Long.class) {
                return in.getLong();
            } else if (raw == float.class || raw == Float.class) {
                return Float.intBitsToFloat(in.getInt());
            } else if (raw == double.class || raw == Double.class) {
                return Double.longBitsToDouble(in.getLong());
            } else if (raw == String.class) {
                return utf8(readBytes());
            } else if (raw == byte[].class) {
                return readBytes();
            } else if (raw == int[].class) {
                int[] ints = new int[count(4)];
                MemorySegment.copy(MemorySegment.ofBuffer(in), INT, 0, ints, 0, ints.length);
                in.position(in.position() + 4 * ints.length);
                return ints;
            } else if (raw == long[].class) {
                long[] longs = new long[count(8)];
                MemorySegment.copy(MemorySegment.ofBuffer(in), LONG, 0, longs, 0, longs.length);
                in.position(in.position() + 8 * longs.length);
                return longs;
            } else if (raw.isEnum()) {
                return readEnum(raw);
            } else if (raw.isRecord()) {
                return readComponents(raw);
            } else if (raw == List.class) {
                int size = count(1);
                List<Object> list = new ArrayList<>(size);
                Type element = elementType(type);
                for (int i = 0; i < size; i++) {
                    try {
                        list.add(read(element));
                    } catch (Fault fault) {
                        throw fault.under("[" + i + "]");
                    }
                }
                return List.copyOf(list);
            } else if (raw == Optional.class) {
                byte present = in.get();
                if (present != 0 && present != 1) {
                    throw refused("Optional marker is " + present + ", not 0 or 1");
                }
                try {
                    return present == 1 ? Optional.of(read(elementType(type))) : Optional.empty();
                } catch (Fault fault) {
                    throw fault.under(".get()");
                }
            }
            throw new Fault(path -> new IllegalArgumentException("state codec: " + path + " has unsupported type " + raw.getName()));
        }

        /** Reads a u32 count and checks {@code count * minElementBytes} bytes are there. */
        private int count(int minElementBytes) {
            int count = in.getInt();
            if (count < 0 || (long) count * minElementBytes > in.remaining()) {
                throw refused("length " + Integer.toUnsignedString(count) + " exceeds the " + in.remaining()
                        + " bytes left (corrupt or truncated)");
            }
            return count;
        }

        private byte[] readBytes() {
            byte[] bytes = new byte[count(1)];
            in.get(bytes);
            return bytes;
        }

        private String utf8(byte[] bytes) {
            try {
                return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(bytes)).toString();
            } catch (CharacterCodingException e) {
                throw refused("string is not valid UTF-8", e);
            }
        }

        private Object readEnum(Class<?> type) {
            String name = utf8(readBytes());
            for (Object constant : type.getEnumConstants()) {
                if (((Enum<?>) constant).name().equals(name)) {
                    return constant;
                }
            }
            throw refused(type.getSimpleName() + " has no constant '" + name + "'");
        }

        private Object readComponents(Class<?> type) {
            Components components = COMPONENTS.get(type);
            Object[] values = new Object[components.components.length];
            for (int i = 0; i < values.length; i++) {
                try {
                    values[i] = read(components.types[i]);
                } catch (Fault fault) {
                    throw fault.under("." + components.components[i].getName());
                }
            }
            try {
                return (Object) components.constructor.invokeExact(values);
            } catch (Throwable e) {
                throw refused(type.getSimpleName() + " refused the decoded values: " + e.getMessage(), e);
            }
        }
    }
}
