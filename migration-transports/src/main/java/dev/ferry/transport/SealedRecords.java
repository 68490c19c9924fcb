package dev.ferry.transport;

import java.nio.ByteBuffer;
import javax.crypto.spec.GCMParameterSpec;

/**
 * The record layout of a TLS migration stream after its handshake. JSSE seals 16 KiB a record and
 * runs its per-record path interpreted until the JIT catches up, which in a fresh JVM is most of a
 * GiB copy; these records carry up to a MiB each, so the cipher does its work in a few large calls.
 *
 * <p>A record is a 4-byte big-endian payload length (1 to {@link #MAX_PAYLOAD}), then the payload
 * sealed with AES-GCM and its 16-byte tag. The nonce is four zero bytes then the record's sequence
 * number in its direction (a big-endian long from 0), so a nonce never repeats under one key, and a
 * record that is dropped, replayed or reordered fails its tag; the length header is the associated
 * data. Keys: {@link RecordKeys}; the schedule both ends run: {@link RecordCipher}.
 *
 * <p>The cipher works on direct buffers only: in a fresh JVM, JDK 25's AES-GCM sealed 1 MiB heap
 * arrays at 19-30 MB/s and the same in direct buffers at 186-393 MB/s (both ways in one thread,
 * 512 MiB, until the JIT catches up).
 */
final class SealedRecords {

    static final int HEADER = Integer.BYTES;
    static final int TAG = 16;
    static final int MAX_PAYLOAD = 1 << 20;
    /** Records under one key: at most 64 GiB of payload. */
    static final long RECORDS_PER_KEY = 1L << 16;

    private SealedRecords() {
    }

    /** The AES-GCM parameters of record {@code sequence}: a 128-bit tag, a 96-bit nonce. */
    static GCMParameterSpec nonce(long sequence) {
        return new GCMParameterSpec(TAG * Byte.SIZE, ByteBuffer.allocate(12).putLong(4, sequence).array());
    }
}
