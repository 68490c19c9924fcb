package dev.ferry.savevm;

import dev.ferry.savevm.codec.StateCodec;

/**
 * The records a migration puts on the wire (its configuration, a section's setup record), made
 * ready ahead of time. The first encode or decode of a record type looks up its components and
 * builds method handles for its accessors and constructor; in a fresh JVM that spins dozens of
 * classes, tens of milliseconds inside the migration on each side. A source calls this while its
 * VM runs, a destination while it waits for its source.
 */
public final class WireRecords {

    private WireRecords() {
    }

    /**
     * Does now, for each type and every record type inside it, the reflective work its first
     * encode or decode would do.
     *
     * @param types record types a migration will send or receive
     */
    @SafeVarargs
    public static void prepare(Class<? extends Record>... types) {
        for (Class<? extends Record> type : types) {
            StateCodec.prepare(type);
        }
    }
}
