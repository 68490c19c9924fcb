package dev.ferry.savevm.codec;

import java.lang.reflect.Method;
import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** Compares two records of one type component by component, for configuration checks. */
public final class RecordDiff {

    private RecordDiff() {
    }

    /**
     * The first difference between {@code source} and {@code destination} as a one-line message
     * ("config field disks[1].sizeBytes differs: source 1048576, destination 2097152"), or empty.
     *
     * @param source the source's record
     * @param destination the destination's record of the same type
     * @return the first difference, or empty when the two are equal
     */
    public static Optional<String> firstDifference(Record source, Record destination) {
        return compare("", source, destination);
    }

    private static Optional<String> compare(String path, Object source, Object destination) {
        if (source instanceof Record s && destination instanceof Record d && s.getClass() == d.getClass()) {
            for (RecordComponent component : s.getClass().getRecordComponents()) {
                String at = path.isEmpty() ? component.getName() : path + "." + component.getName();
                Optional<String> difference = compare(at, value(component, s), value(component, d));
                if (difference.isPresent()) {
                    return difference;
                }
            }
            return Optional.empty();
        }
        if (source instanceof List<?> s && destination instanceof List<?> d) {
            if (s.size() != d.size()) {
                return Optional.of("config field " + path + " differs in length: source " + s.size() + ", destination " + d.size());
            }
            for (int i = 0; i < s.size(); i++) {
                Optional<String> difference = compare(path + "[" + i + "]", s.get(i), d.get(i));
                if (difference.isPresent()) {
                    return difference;
                }
            }
            return Optional.empty();
        }
        if (Objects.deepEquals(source, destination)) {
            return Optional.empty();
        }
        return Optional.of("config field " + (path.isEmpty() ? "(record)" : path) + " differs: source " + show(source)
                + ", destination " + show(destination));
    }

    private static Object value(RecordComponent component, Record record) {
        try {
            Method accessor = component.getAccessor();
            accessor.setAccessible(true);
            return accessor.invoke(record);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalArgumentException("config record " + record.getClass().getName()
                    + " is not accessible to dev.ferry.savevm: open its package to dev.ferry.savevm", e);
        }
    }

    private static String show(Object value) {
        return switch (value) {
            case byte[] b -> Arrays.toString(b);
            case int[] i -> Arrays.toString(i);
            case long[] l -> Arrays.toString(l);
            case null -> "null";
            default -> value.toString();
        };
    }
}
