package dev.ferry.transport;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.util.function.BooleanSupplier;
import javax.crypto.Cipher;
import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;

/**
 * Seals and opens records with {@link RecordCipher} on a throwaway key while a process that holds
 * TLS credentials waits for its first stream. In a fresh JVM, AES-GCM runs its plain-Java path
 * until C2 has compiled the calls that reach the AES-NI and CLMUL intrinsics, and C2 compiles a
 * method after some thousands of calls, while a GiB copy makes about a thousand, a MiB each (JFR:
 * a third of a TLS destination's first second went to that path). Thousands of records, mostly
 * short and cheap with a MiB one among them so both sizes' branches are profiled, get the path
 * compiled before it matters.
 *
 * <p>The key is random, made here and dropped after: never a session's key, so no nonce the
 * real stream uses is ever used under it, and nothing of the warm-up leaves this class. It stops
 * after {@link #RECORDS} each way, or as soon as a TLS stream begins ({@link TlsWarmUp} runs it), so it
 * never competes with a copy.
 */
final class CipherWarmUp {

    /** Records sealed and opened: past C2's thresholds for the calls of each record. */
    static final int RECORDS = 8192;
    /** Payload sizes in turn: a frame's header, a short message, and one long enough for AES-GCM's bulk path. */
    private static final int[] SIZES = {16, 28, 8192};
    /** One record in this many is of the stream's full size. */
    private static final int FULL_EVERY = 128;

    private CipherWarmUp() {
    }

    /**
     * Seals up to {@code records} records on a fresh random key and opens each again.
     *
     * @return how many records went both ways before {@code stop} said so
     * @throws IllegalStateException if a record did not open to what was sealed (never, with a working cipher)
     */
    static int run(int records, BooleanSupplier stop) throws IOException, GeneralSecurityException {
        KeyGenerator generator = KeyGenerator.getInstance("AES");
        generator.init(128);
        SecretKey key = generator.generateKey();
        RecordCipher sealer = new RecordCipher(epoch -> key, Cipher.ENCRYPT_MODE);
        RecordCipher opener = new RecordCipher(epoch -> key, Cipher.DECRYPT_MODE);
        ByteBuffer payload = ByteBuffer.allocateDirect(SealedRecords.MAX_PAYLOAD);
        ByteBuffer record = ByteBuffer.allocateDirect(SealedRecords.HEADER + SealedRecords.MAX_PAYLOAD + SealedRecords.TAG);
        ByteBuffer opened = ByteBuffer.allocateDirect(SealedRecords.MAX_PAYLOAD);
        byte[] header = new byte[SealedRecords.HEADER];
        int done = 0;
        while (done < records && !stop.getAsBoolean()) {
            int length = done % FULL_EVERY == 0 ? SealedRecords.MAX_PAYLOAD : SIZES[done % SIZES.length];
            ByteBuffer.wrap(header).putInt(0, length);
            payload.clear().putLong(0, done).limit(length);
            sealer.seal(header, payload, record.clear().put(header));
            if (!opener.open(header, record.flip().slice(SealedRecords.HEADER, length + SealedRecords.TAG), opened.clear().limit(length))
                    || opened.getLong(0) != done) {
                throw new IllegalStateException("warm-up record " + done + " did not open to what was sealed");
            }
            done++;
        }
        return done;
    }
}
