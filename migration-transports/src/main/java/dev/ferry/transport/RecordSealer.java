package dev.ferry.transport;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import javax.crypto.Cipher;

/** The writing half of a TLS migration stream after its handshake: plaintext into {@link SealedRecords}. */
final class RecordSealer {

    private final MigrationChannel plain;
    private final RecordCipher cipher;
    /** One record as it goes out: header, ciphertext, tag. Direct, as is {@link #staged}: see {@link SealedRecords}. */
    private final ByteBuffer record = ByteBuffer.allocateDirect(SealedRecords.HEADER + SealedRecords.MAX_PAYLOAD + SealedRecords.TAG);
    /** A direct copy of part of a heap source buffer. */
    private final ByteBuffer staged = ByteBuffer.allocateDirect(SealedRecords.MAX_PAYLOAD);
    private final byte[] header = new byte[SealedRecords.HEADER];

    RecordSealer(MigrationChannel plain, RecordKeys keys, RecordKeys.Direction direction) throws GeneralSecurityException {
        this.plain = plain;
        this.cipher = new RecordCipher(keys.of(direction), Cipher.ENCRYPT_MODE);
    }

    /**
     * Seals and sends all of {@code src}, a record per {@link SealedRecords#MAX_PAYLOAD} bytes, the
     * short one first: a reader takes a frame's header and then its body, and the body's full
     * records then open straight into the reader's buffer ({@link RecordOpener}).
     */
    void write(ByteBuffer src) throws IOException {
        int first = src.remaining() % SealedRecords.MAX_PAYLOAD;
        int length = first == 0 ? SealedRecords.MAX_PAYLOAD : first;
        while (src.hasRemaining()) {
            ByteBuffer payload = src.isDirect() ? src.slice(src.position(), length) : staged.clear().put(0, src, src.position(), length).limit(length);
            seal(payload, length);
            src.position(src.position() + length);
            plain.write(record.flip());
            length = SealedRecords.MAX_PAYLOAD;
        }
    }

    /** Fills {@link #record} (read mode) with {@code payload} sealed. */
    private void seal(ByteBuffer payload, int length) throws IOException {
        ByteBuffer.wrap(header).putInt(0, length);
        cipher.seal(header, payload, record.clear().put(header));
    }
}
