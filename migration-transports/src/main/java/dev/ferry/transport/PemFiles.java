package dev.ferry.transport;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

/**
 * Reads the PEM text of tls-creds files: X.509 certificates and unencrypted private keys in
 * PKCS#8 ({@code BEGIN PRIVATE KEY}, what openssl and keytool-derived tools write) or PKCS#1 RSA
 * ({@code BEGIN RSA PRIVATE KEY}, what GnuTLS's certtool writes by default for QEMU).
 *
 * <p>JDK 25's {@code java.security.PEMDecoder} is a preview API: using it would tie every class
 * file to exactly JDK 25 with {@code --enable-preview}, so this small reader stands in until it is final.
 * Every refusal is an {@link IllegalArgumentException} with one line saying what is wrong.
 */
final class PemFiles {

    private static final String BEGIN = "-----BEGIN ";
    private static final String END = "-----END ";
    /** DER of AlgorithmIdentifier{rsaEncryption, NULL}, which wraps a PKCS#1 key into PKCS#8. */
    private static final byte[] RSA_ALGORITHM = HexFormat.of().parseHex("300d06092a864886f70d0101010500");

    /** One PEM block: its label ("CERTIFICATE", "PRIVATE KEY", ...) and decoded bytes. */
    record Block(String label, byte[] der) {
    }

    private PemFiles() {
    }

    /** Every PEM block in {@code text}, in order; text between blocks is ignored, as openssl does. */
    static List<Block> blocks(String text) {
        List<Block> blocks = new ArrayList<>();
        int at = 0;
        while (true) {
            int begin = text.indexOf(BEGIN, at);
            if (begin < 0) {
                return blocks;
            }
            int labelEnd = text.indexOf("-----", begin + BEGIN.length());
            int lineEnd = text.indexOf('\n', begin);
            if (labelEnd < 0 || lineEnd >= 0 && lineEnd < labelEnd || text.substring(begin, labelEnd).indexOf('\r') >= 0) {
                throw new IllegalArgumentException("a PEM BEGIN line has no closing dashes");
            }
            String label = text.substring(begin + BEGIN.length(), labelEnd);
            String endLine = END + label + "-----";
            int end = text.indexOf(endLine, labelEnd + 5);
            if (end < 0) {
                throw new IllegalArgumentException("the PEM block '" + label + "' has no END line");
            }
            String body = text.substring(labelEnd + 5, end);
            try {
                blocks.add(new Block(label, Base64.getMimeDecoder().decode(body.strip())));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("the PEM block '" + label + "' is not valid base64");
            }
            at = end + endLine.length();
        }
    }

    /** The certificates in {@code text}, first one first (a leaf, then the chain it came with). */
    static List<X509Certificate> certificates(String text) {
        List<X509Certificate> certificates = new ArrayList<>();
        try {
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            for (Block block : blocks(text)) {
                if (block.label().equals("CERTIFICATE")) {
                    certificates.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(block.der())));
                }
            }
        } catch (CertificateException e) {
            throw new IllegalArgumentException("a CERTIFICATE block is not a valid X.509 certificate");
        }
        if (certificates.isEmpty()) {
            throw new IllegalArgumentException("no CERTIFICATE block");
        }
        return certificates;
    }

    /** The one private key in {@code text}, for a certificate whose public key uses {@code algorithm} (RSA, EC, ...). */
    static PrivateKey privateKey(String text, String algorithm) {
        List<Block> keys = blocks(text).stream().filter(b -> b.label().endsWith("PRIVATE KEY")).toList();
        if (keys.size() != 1) {
            throw new IllegalArgumentException(keys.isEmpty() ? "no PRIVATE KEY block" : keys.size() + " private keys (one expected)");
        }
        Block key = keys.getFirst();
        byte[] pkcs8 = switch (key.label()) {
            case "PRIVATE KEY" -> key.der();
            case "RSA PRIVATE KEY" -> pkcs8OfRsa(key.der());
            case "ENCRYPTED PRIVATE KEY" -> throw new IllegalArgumentException(
                    "the private key is encrypted; store it unencrypted (openssl pkcs8 -topk8 -nocrypt) and protect the file instead");
            default -> throw new IllegalArgumentException("a '" + key.label()
                    + "' block is not supported; convert it to PKCS#8 (openssl pkcs8 -topk8 -nocrypt)");
        };
        try {
            return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new IllegalArgumentException("the private key is not a valid " + algorithm + " key in PKCS#8 form");
        }
    }

    /** PrivateKeyInfo{version 0, rsaEncryption, OCTET STRING pkcs1}: the PKCS#8 form of a PKCS#1 key. */
    private static byte[] pkcs8OfRsa(byte[] pkcs1) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(new byte[] {0x02, 0x01, 0x00});
        body.writeBytes(RSA_ALGORITHM);
        body.writeBytes(derHeader(0x04, pkcs1.length));
        body.writeBytes(pkcs1);
        ByteArrayOutputStream info = new ByteArrayOutputStream();
        info.writeBytes(derHeader(0x30, body.size()));
        info.writeBytes(body.toByteArray());
        return info.toByteArray();
    }

    private static byte[] derHeader(int tag, int length) {
        if (length < 0x80) {
            return new byte[] {(byte) tag, (byte) length};
        }
        int bytes = (32 - Integer.numberOfLeadingZeros(length) + 7) / 8;
        byte[] header = new byte[2 + bytes];
        header[0] = (byte) tag;
        header[1] = (byte) (0x80 | bytes);
        for (int i = 0; i < bytes; i++) {
            header[2 + i] = (byte) (length >>> (8 * (bytes - 1 - i)));
        }
        return header;
    }
}
