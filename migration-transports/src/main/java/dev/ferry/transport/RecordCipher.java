package dev.ferry.transport;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;

/**
 * AES-GCM over one direction's {@link SealedRecords}, sealing or opening: the key of each record's
 * epoch, its sequence number as the nonce, its header as the associated data. The writer and the
 * reader of a direction run this same schedule, so they change keys at the same record.
 */
final class RecordCipher {

    /** The key of each epoch of one direction's records. */
    @FunctionalInterface
    interface Keys {
        SecretKey key(long epoch) throws IOException;
    }

    private final Keys keys;
    private final int mode;
    private final Cipher cipher;
    private SecretKey key;
    private long sequence;

    /** @param mode {@link Cipher#ENCRYPT_MODE} to seal, {@link Cipher#DECRYPT_MODE} to open */
    RecordCipher(Keys keys, int mode) throws GeneralSecurityException {
        this.keys = keys;
        this.mode = mode;
        this.cipher = Cipher.getInstance("AES/GCM/NoPadding");
    }

    /** The number of the next record: after a failed {@link #open}, the one that failed. */
    long sequence() {
        return sequence;
    }

    /** Seals the next record, {@code payload} into {@code record} after its header. */
    void seal(byte[] header, ByteBuffer payload, ByteBuffer record) throws IOException {
        if (!next(header, payload, record)) {
            throw new IllegalStateException("AES-GCM sealing refused record " + sequence);
        }
    }

    /** Opens the next record into {@code plaintext}; false if it is not what its sender sealed as this record. */
    boolean open(byte[] header, ByteBuffer sealed, ByteBuffer plaintext) throws IOException {
        return next(header, sealed, plaintext);
    }

    private boolean next(byte[] header, ByteBuffer in, ByteBuffer out) throws IOException {
        if (sequence % SealedRecords.RECORDS_PER_KEY == 0) {
            key = keys.key(sequence / SealedRecords.RECORDS_PER_KEY);
        }
        try {
            cipher.init(mode, key, SealedRecords.nonce(sequence));
            cipher.updateAAD(header);
            cipher.doFinal(in, out);
        } catch (AEADBadTagException e) {
            return false;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM refused record " + sequence + ": " + e.getMessage(), e);
        }
        sequence++;
        return true;
    }
}
