package dev.ferry.savevm;

import dev.ferry.savevm.codec.RecordDiff;
import java.io.IOException;
import java.util.Optional;

/**
 * Destination: judges the source's configuration record (machine shape, memory size, disks)
 * before any state frame is applied. Throw a {@link MigrationException} in {@link Phase#CONFIG}
 * whose message names the field and both values, e.g.
 * "memory size differs: source 512 MiB, destination 256 MiB". It may open what the migration will
 * fill (disks): any other I/O error refuses the configuration too, with its message.
 *
 * @param <C> the configuration record, the same type on both sides
 */
@FunctionalInterface
public interface ConfigCheck<C extends Record> {

    /**
     * Judges the source's configuration; returning normally accepts it.
     *
     * @param source the record the source sent, decoded
     * @throws IOException a {@link MigrationException} in {@link Phase#CONFIG} to refuse it, or the I/O error
     *         of opening what the migration will fill
     */
    void check(C source) throws IOException;

    /**
     * A check that wants the source's record equal to {@code local}, component by component
     * (nested records and lists included); the message names the first differing path.
     *
     * @param <C> the configuration record type
     * @param local the destination's own configuration
     * @return a check that throws a {@link MigrationException} in {@link Phase#CONFIG} on the first
     *         difference
     */
    static <C extends Record> ConfigCheck<C> sameAs(C local) {
        return source -> {
            Optional<String> difference = RecordDiff.firstDifference(source, local);
            if (difference.isPresent()) {
                throw new MigrationException(Phase.CONFIG, difference.get());
            }
        };
    }
}
