package dev.ferry.bench;

import java.util.SequencedMap;

/**
 * What one run of a scenario measured.
 *
 * @param totalMs    from the first byte sent to the destination's acknowledgement
 * @param downtimeMs how long the guest was paused (NaN for the raw copy, which has no guest)
 * @param diskBytes  the disk's virtual size
 * @param wireBytes  bytes on the wire, framing included; negative when the tool does not report them
 * @param dataBytes  non-zero disk data moved (for the raw copy: every byte, zeros included)
 * @param reported   the tool's own JSON line, kept whole in the results file
 */
record RunResult(double totalMs, double downtimeMs, long diskBytes, long wireBytes, long dataBytes,
                 SequencedMap<String, Object> reported) {

    /** Non-zero data moved per second, in MB/s (10^6 bytes). */
    double dataMegabytesPerSecond() {
        return dataBytes / totalMs / 1e3;
    }

    /** Wire bytes over disk bytes: below 1 when zeros or unallocated data cost less than their size. */
    double wireShare() {
        return wireBytes < 0 ? Double.NaN : (double) wireBytes / diskBytes;
    }

    /** The raw copy's final fsync on the receiver, in ms; NaN for a migration (whose total includes its own). */
    double syncMs() {
        return reported.get("sync_ms") instanceof Number n ? n.doubleValue() : Double.NaN;
    }

    /** The data rate with the final fsync left out: what the page cache alone allows. */
    double unsyncedMegabytesPerSecond() {
        return dataBytes / (totalMs - syncMs()) / 1e3;
    }
}
