package dev.ferry.transport;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;

/** The writing half of a TLS migration stream after its handshake: plaintext into {@link SealedRecords}. */
final class RecordSealer {

    private final MigrationChannel plain;
    private final RecordKeys keys;
    private final RecordKeys.Direction direction;
    private final Cipher cipher;
    /** One record as it goes out: header, ciphertext, tag. */
    private final byte[] record = new byte[SealedRecords.HEADER + SealedRecords.MAX_PAYLOAD + SealedRecords.TAG];
    /** A heap copy of part of a direct source buffer. */
    private final byte[] staged = new byte[SealedRecords.MAX_PAYLOAD];
    private SecretKey key;
    private long sequence;

    RecordSealer(MigrationChannel plain, RecordKeys keys, RecordKeys.Direction direction) throws GeneralSecurityException {
        this.plain = plain;
        this.keys = keys;
        this.direction = direction;
        this.cipher = Cipher.getInstance("AES/GCM/NoPadding");
    }

    /** Seals and sends all of {@code src}, a record per {@link SealedRecords#MAX_PAYLOAD} bytes. */
    void write(ByteBuffer src) throws IOException {
        while (src.hasRemaining()) {
            int length = Math.min(src.remaining(), SealedRecords.MAX_PAYLOAD);
            if (src.hasArray()) {
                seal(src.array(), src.arrayOffset() + src.position(), length);
            } else {
                src.get(src.position(), staged, 0, length);
                seal(staged, 0, length);
            }
            src.position(src.position() + length);
            plain.write(ByteBuffer.wrap(record, 0, SealedRecords.HEADER + length + SealedRecords.TAG));
        }
    }

    private void seal(byte[] payload, int offset, int length) throws IOException {
        if (sequence % SealedRecords.RECORDS_PER_KEY == 0) {
            key = keys.key(direction, sequence / SealedRecords.RECORDS_PER_KEY);
        }
        ByteBuffer.wrap(record).putInt(0, length);
        try {
            cipher.init(Cipher.ENCRYPT_MODE, key, SealedRecords.nonce(sequence));
            cipher.updateAAD(record, 0, SealedRecords.HEADER);
            cipher.doFinal(payload, offset, length, record, SealedRecords.HEADER);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM refused record " + sequence + ": " + e.getMessage(), e);
        }
        sequence++;
    }
}
