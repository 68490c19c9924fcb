package dev.ferry.transport;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import javax.crypto.Cipher;

/**
 * The reading half of a TLS migration stream after its handshake: {@link SealedRecords} back into
 * plaintext. A record is handed out only after its tag checked; one that fails ends the stream for
 * good. The end of the stream beneath is the end of this one, as on a plain channel: a stream cut
 * between records is caught by the migration stream's own framing, which needs its END frame.
 */
final class RecordOpener {

    private final MigrationUri uri;
    private final MigrationChannel plain;
    private final RecordCipher cipher;
    /** Ciphertext received and not yet opened (read mode); room for two records. Direct: see {@link SealedRecords}. */
    private final ByteBuffer net = ByteBuffer.allocateDirect(2 * (SealedRecords.HEADER + SealedRecords.MAX_PAYLOAD + SealedRecords.TAG));
    /** Plaintext opened and not yet returned (read mode). */
    private final ByteBuffer opened = ByteBuffer.allocateDirect(SealedRecords.MAX_PAYLOAD).flip();
    private final byte[] header = new byte[SealedRecords.HEADER];
    private String refusal;

    /** Reads records from {@code plain}, starting with {@code received}: bytes the handshake read past its end. */
    RecordOpener(MigrationChannel plain, RecordKeys keys, RecordKeys.Direction direction, ByteBuffer received)
            throws GeneralSecurityException {
        this.uri = plain.uri();
        this.plain = plain;
        this.cipher = new RecordCipher(keys, direction, Cipher.DECRYPT_MODE);
        net.put(received).flip();
    }

    /** Up to {@code dst.remaining()} bytes of plaintext; -1 at the end of the stream. */
    int read(ByteBuffer dst) throws IOException {
        if (refusal != null) {
            throw new TransportException(uri, refusal);
        }
        if (!opened.hasRemaining() && !openNext()) {
            return -1;
        }
        int n = Math.min(dst.remaining(), opened.remaining());
        dst.put(dst.position(), opened, opened.position(), n);
        dst.position(dst.position() + n);
        opened.position(opened.position() + n);
        return n;
    }

    /** Opens the next record into {@link #opened}; false at the end of the stream. */
    private boolean openNext() throws IOException {
        if (!receive(SealedRecords.HEADER)) {
            return false;
        }
        int length = net.getInt(net.position());
        if (length < 1 || length > SealedRecords.MAX_PAYLOAD) {
            throw refuse("TLS record " + cipher.sequence() + " claims " + Integer.toUnsignedString(length)
                    + " bytes (1 to " + SealedRecords.MAX_PAYLOAD + " allowed): the stream was altered on the way");
        }
        if (!receive(SealedRecords.HEADER + length + SealedRecords.TAG)) {
            return false;
        }
        int start = net.position();
        net.get(start, header);
        if (!cipher.open(header, net.slice(start + SealedRecords.HEADER, length + SealedRecords.TAG), opened.clear())) {
            opened.limit(0);
            throw refuse("TLS record " + cipher.sequence() + " failed its integrity check: the stream was altered, replayed or reordered on the way");
        }
        opened.flip();
        net.position(start + SealedRecords.HEADER + length + SealedRecords.TAG);
        return true;
    }

    private TransportException refuse(String why) {
        refusal = why;
        return new TransportException(uri, why);
    }

    /** Reads until {@code bytes} are buffered; false when the stream ends first. */
    private boolean receive(int bytes) throws IOException {
        while (net.remaining() < bytes) {
            net.compact();
            int n;
            try {
                n = plain.read(net);
            } finally {
                net.flip();
            }
            if (n < 0) {
                return false;
            }
        }
        return true;
    }
}
