package dev.ferry.transport;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import javax.crypto.Cipher;

/**
 * The reading half of a TLS migration stream after its handshake: {@link SealedRecords} back into
 * plaintext. A record is handed out only after its tag checked; one that fails ends the stream for
 * good. The end of the stream beneath is the end of this one, as on a plain channel: a stream cut
 * between records is caught by the migration stream's own framing, which needs its END frame.
 *
 * <p>A record that fits in the caller's buffer opens straight into it (a frame's body, which the
 * sealer sends as whole records); only a record larger than the buffer passes through
 * {@link #opened}. The socket is read a record at a time (and the next header, if it is there),
 * so nothing larger than a header is ever moved within {@link #net}. A record that fails its tag
 * leaves nothing behind in the buffer it was opened into: what AES-GCM wrote there is zeroed.
 */
final class RecordOpener {

    private final MigrationUri uri;
    private final MigrationChannel plain;
    private final RecordCipher cipher;
    /** Ciphertext received and not yet opened (read mode): a record and the next header. Direct: see {@link SealedRecords}. */
    private final ByteBuffer net;
    /** Plaintext opened and not yet returned (read mode). */
    private final ByteBuffer opened = ByteBuffer.allocateDirect(SealedRecords.MAX_PAYLOAD).flip();
    private final byte[] header = new byte[SealedRecords.HEADER];
    private String refusal;

    /** Reads records from {@code plain}, starting with {@code received}: bytes the handshake read past its end. */
    RecordOpener(MigrationChannel plain, RecordKeys keys, RecordKeys.Direction direction, ByteBuffer received)
            throws GeneralSecurityException {
        this.uri = plain.uri();
        this.plain = plain;
        this.cipher = new RecordCipher(keys.of(direction), Cipher.DECRYPT_MODE);
        int record = SealedRecords.HEADER + SealedRecords.MAX_PAYLOAD + SealedRecords.TAG;
        this.net = ByteBuffer.allocateDirect(Math.max(record + SealedRecords.HEADER, received.remaining()));
        net.put(received).flip();
    }

    /** Up to {@code dst.remaining()} bytes of plaintext; -1 at the end of the stream. */
    int read(ByteBuffer dst) throws IOException {
        if (refusal != null) {
            throw new TransportException(uri, refusal);
        }
        if (!dst.hasRemaining()) {
            return 0;
        }
        if (!opened.hasRemaining()) {
            int length = nextRecord();
            if (length < 0) {
                return -1;
            }
            if (length <= dst.remaining()) {
                open(length, dst.slice(dst.position(), length));
                dst.position(dst.position() + length);
                return length;
            }
            open(length, opened.clear());
            opened.flip();
        }
        int n = Math.min(dst.remaining(), opened.remaining());
        dst.put(dst.position(), opened, opened.position(), n);
        dst.position(dst.position() + n);
        opened.position(opened.position() + n);
        return n;
    }

    /** Receives the next record whole; its payload length, or -1 at the end of the stream. */
    private int nextRecord() throws IOException {
        if (!receive(SealedRecords.HEADER)) {
            return -1;
        }
        int length = net.getInt(net.position());
        if (length < 1 || length > SealedRecords.MAX_PAYLOAD) {
            throw refuse("TLS record " + cipher.sequence() + " claims " + Integer.toUnsignedString(length)
                    + " bytes (1 to " + SealedRecords.MAX_PAYLOAD + " allowed): the stream was altered on the way");
        }
        return receive(SealedRecords.HEADER + length + SealedRecords.TAG) ? length : -1;
    }

    /** Opens the received record of {@code length} bytes into {@code plaintext}, or refuses the stream. */
    private void open(int length, ByteBuffer plaintext) throws IOException {
        int start = net.position();
        net.get(start, header);
        if (!cipher.open(header, net.slice(start + SealedRecords.HEADER, length + SealedRecords.TAG), plaintext)) {
            MemorySegment.ofBuffer(plaintext.clear()).fill((byte) 0);
            opened.limit(0);
            throw refuse("TLS record " + cipher.sequence() + " failed its integrity check: the stream was altered, replayed or reordered on the way");
        }
        net.position(start + SealedRecords.HEADER + length + SealedRecords.TAG);
    }

    private TransportException refuse(String why) {
        refusal = why;
        return new TransportException(uri, why);
    }

    /** Reads until {@code bytes} are buffered, and at most the next record's header more; false when the stream ends first. */
    private boolean receive(int bytes) throws IOException {
        if (net.remaining() >= bytes) {
            return true;
        }
        if (net.position() + bytes > net.capacity()) {
            net.compact().flip();
        }
        while (net.remaining() < bytes) {
            int start = net.position();
            int n;
            net.position(net.limit()).limit(Math.min(net.capacity(), start + bytes + SealedRecords.HEADER));
            try {
                n = plain.read(net);
            } finally {
                net.limit(net.position()).position(start);
            }
            if (n < 0) {
                return false;
            }
        }
        return true;
    }
}
