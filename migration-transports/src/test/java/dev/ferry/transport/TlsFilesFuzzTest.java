package dev.ferry.transport;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;

/**
 * The text a tls-creds folder and an authorization list hold comes from the operator's files:
 * any bytes fed to the PEM reader (certificates, PKCS#8 and PKCS#1 keys) and the subject-list
 * parser must end in a value or one {@link IllegalArgumentException} line, never another
 * exception, an error or a hang. Seeds: a certificate, both key forms and a list, in
 * {@code src/test/resources/dev/ferry/transport/TlsFilesFuzzTestInputs/parse/}.
 */
class TlsFilesFuzzTest {

    @FuzzTest(maxDuration = "30s")
    void parse(byte[] input) {
        String text = new String(input, StandardCharsets.ISO_8859_1);
        refusedCleanly(() -> PemFiles.certificates(text));
        refusedCleanly(() -> PemFiles.privateKey(text, "RSA"));
        refusedCleanly(() -> PemFiles.privateKey(text, "EC"));
        refusedCleanly(() -> AllowedSubjects.parse(text));
    }

    private static void refusedCleanly(Runnable parse) {
        try {
            parse.run();
        } catch (IllegalArgumentException refused) {
            if (refused.getMessage() == null || refused.getMessage().isBlank() || refused.getMessage().contains("\n")) {
                throw new AssertionError("a refusal must be one line: " + refused.getMessage(), refused);
            }
        }
    }
}
