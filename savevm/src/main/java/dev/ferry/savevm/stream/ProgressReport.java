package dev.ferry.savevm.stream;

import dev.ferry.savevm.MigrationException;
import dev.ferry.savevm.Phase;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A PROGRESS frame's payload: the destination applied the stream up to {@code appliedBytes}
 * (counted like the source's frame bytes, HEADER included) and still owes {@code backlogBytes}
 * of work on what it applied (reading granules back, flushing). The source counts what it sent beyond
 * {@code appliedBytes}, with the bytes those frames imply (zero markers' ranges), plus the
 * backlog, as not there yet.
 *
 * @param appliedBytes stream bytes applied, from the first byte of the HEADER frame
 * @param backlogBytes bytes applied but not yet read back or flushed
 */
public record ProgressReport(long appliedBytes, long backlogBytes) {

    /** Payload size: two u64. */
    public static final int BYTES = 16;

    /**
     * Both counts as two little-endian u64.
     *
     * @return the 16-byte payload
     */
    public byte[] encode() {
        return ByteBuffer.allocate(BYTES).order(ByteOrder.LITTLE_ENDIAN).putLong(appliedBytes).putLong(backlogBytes).array();
    }

    /**
     * Reads a PROGRESS payload.
     *
     * @param payload the frame's payload
     * @param phase where the reader is, for the error
     * @return the report
     * @throws MigrationException in {@code phase} if it is not two non-negative u64
     */
    public static ProgressReport decode(MemorySegment payload, Phase phase) throws MigrationException {
        if (payload.byteSize() != BYTES) {
            throw new MigrationException(phase, "PROGRESS payload of " + payload.byteSize() + " bytes, expected " + BYTES);
        }
        long applied = payload.get(StreamFormat.LONG, 0);
        long backlog = payload.get(StreamFormat.LONG, 8);
        if (applied < 0 || backlog < 0) {
            throw new MigrationException(phase, "PROGRESS with a negative count (" + applied + ", " + backlog + ")");
        }
        return new ProgressReport(applied, backlog);
    }
}
