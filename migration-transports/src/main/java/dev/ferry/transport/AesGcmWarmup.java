package dev.ferry.transport;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gets the JIT to compile AES-GCM with its AES-NI/VAES and CLMUL intrinsics before a migration
 * needs it. The intrinsics only exist in C2-compiled callers, and C2 compiles them after about
 * ten thousand calls: one call per 16 KiB TLS record, so a 1 GiB copy ran its first few hundred
 * MB through the plain-Java cipher (a tenth of the speed), longer on a loaded machine whose
 * compiler threads wait for a core. Running the same calls as JSSE (encrypt between heap buffers,
 * decrypt in place) on small records for a fraction of a second while the process starts moves that
 * cost out of the migration.
 */
final class AesGcmWarmup {

    private static final Logger LOG = LoggerFactory.getLogger(AesGcmWarmup.class);
    /** Enough calls for C2 to compile the record path with its intrinsics (tier-4 thresholds are 5–15 k). */
    private static final int ROUNDS = 30_000;
    private static final int RECORD = 1024;
    private static final int TAG_BITS = 128;
    private static volatile boolean started;

    private AesGcmWarmup() {
    }

    /** Starts the warm-up once per process, on a low-priority daemon thread. */
    static void startOnce() {
        if (started) {
            return;
        }
        synchronized (AesGcmWarmup.class) {
            if (started) {
                return;
            }
            started = true;
        }
        Thread thread = new Thread(AesGcmWarmup::run, "tls-aes-gcm-warmup");
        thread.setDaemon(true);
        thread.setPriority(Thread.MIN_PRIORITY);
        thread.start();
    }

    private static void run() {
        long begin = System.nanoTime();
        try {
            // A throwaway key: only the code path matters; a fresh IV per call, as GCM demands.
            SecretKeySpec key = new SecretKeySpec(new byte[16], "AES");
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            ByteBuffer plain = ByteBuffer.allocate(RECORD);
            ByteBuffer sealed = ByteBuffer.allocate(RECORD + TAG_BITS / 8);
            byte[] iv = new byte[12];
            for (int i = 0; i < ROUNDS; i++) {
                ByteBuffer.wrap(iv).putInt(0, i);
                GCMParameterSpec spec = new GCMParameterSpec(TAG_BITS, iv);
                cipher.init(Cipher.ENCRYPT_MODE, key, spec);
                cipher.doFinal(plain.clear(), sealed.clear());
                cipher.init(Cipher.DECRYPT_MODE, key, spec);
                sealed.flip();
                cipher.doFinal(sealed.duplicate(), sealed);
            }
            LOG.debug("AES-GCM warmed up in {} ms", (System.nanoTime() - begin) / 1_000_000);
        } catch (GeneralSecurityException | RuntimeException e) {
            LOG.debug("AES-GCM warm-up stopped: {}", e.toString());
        }
    }
}
