package dev.ferry.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.security.KeyPairGenerator;
import java.util.Arrays;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/** The PEM reader: both unencrypted key forms give the same key; other forms are refused by name. */
class PemFilesTest {

    @Test
    void pkcs1RsaKeyReadsAsItsPkcs8Form() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        byte[] pkcs8 = generator.generateKeyPair().getPrivate().getEncoded();
        // PrivateKeyInfo: SEQUENCE(4) version(3) AlgorithmIdentifier(15) OCTET STRING(4-byte header) PKCS#1
        assertEquals(0x04, pkcs8[22]);
        byte[] pkcs1 = Arrays.copyOfRange(pkcs8, 26, pkcs8.length);
        assertArrayEquals(pkcs8, PemFiles.privateKey(pem("RSA PRIVATE KEY", pkcs1), "RSA").getEncoded());
        assertArrayEquals(pkcs8, PemFiles.privateKey(pem("PRIVATE KEY", pkcs8), "RSA").getEncoded());
    }

    @Test
    void otherKeyFormsAreRefusedSayingWhatToDo() {
        IllegalArgumentException encrypted = assertThrows(IllegalArgumentException.class,
                () -> PemFiles.privateKey(pem("ENCRYPTED PRIVATE KEY", new byte[8]), "RSA"));
        assertEquals("the private key is encrypted; store it unencrypted (openssl pkcs8 -topk8 -nocrypt) and protect the file instead",
                encrypted.getMessage());
        IllegalArgumentException sec1 = assertThrows(IllegalArgumentException.class,
                () -> PemFiles.privateKey(pem("EC PRIVATE KEY", new byte[8]), "EC"));
        assertEquals("a 'EC PRIVATE KEY' block is not supported; convert it to PKCS#8 (openssl pkcs8 -topk8 -nocrypt)", sec1.getMessage());
        assertEquals("no CERTIFICATE block", assertThrows(IllegalArgumentException.class, () -> PemFiles.certificates("")).getMessage());
    }

    private static String pem(String label, byte[] der) {
        return "-----BEGIN " + label + "-----\n" + Base64.getMimeEncoder().encodeToString(der) + "\n-----END " + label + "-----\n";
    }
}
