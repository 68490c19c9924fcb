package dev.ferry.transport;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;

/**
 * A throwaway CA that writes tls-creds folders, for tests, benchmarks and trying TLS out; never
 * for real hosts. It runs the JDK's {@code keytool} (EC P-256 keys) and writes the private keys
 * as PKCS#8 PEM itself, since keytool cannot export them.
 */
public final class ScratchCredentials {

    /** Which pair of a tls-creds folder a certificate is for. */
    public enum Role {
        /** {@code server-cert.pem} and {@code server-key.pem}: the destination's. */
        SERVER,
        /** {@code client-cert.pem} and {@code client-key.pem}: the source's. */
        CLIENT;

        String prefix() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private static final String PASSWORD = "scratch";

    private final Path work;

    private ScratchCredentials(Path work) {
        this.work = work;
    }

    /**
     * Makes a CA named {@code CN=name}.
     *
     * @param work a folder of its own for the CA's key stores
     * @param name the CA's common name
     * @return the CA, ready to issue
     * @throws IOException if keytool fails, with its output
     */
    public static ScratchCredentials newCa(Path work, String name) throws IOException {
        Files.createDirectories(work);
        ScratchCredentials ca = new ScratchCredentials(work);
        ca.keytool(null, "-genkeypair", "-alias", "ca", "-dname", "CN=" + name, "-ext", "bc:c", "-keyalg", "EC",
                "-groupname", "secp256r1", "-validity", "3650", "-keystore", ca.caStore());
        return ca;
    }

    /**
     * Writes a complete folder: this CA, a server pair for {@code CN=ferry-destination} naming
     * localhost, 127.0.0.1 and ::1, and a client pair for {@code CN=ferry-source}.
     *
     * @param dir the tls-creds folder to write (created if missing)
     * @return {@code dir}
     * @throws IOException if keytool fails or a file cannot be written
     */
    public Path writeSet(Path dir) throws IOException {
        writeCa(dir);
        issue(dir, Role.SERVER, "CN=ferry-destination", "dns:localhost,ip:127.0.0.1,ip:::1", false);
        issue(dir, Role.CLIENT, "CN=ferry-source", "", false);
        return dir;
    }

    /**
     * Writes {@code dir/ca-cert.pem}.
     *
     * @param dir the tls-creds folder (created if missing)
     * @throws IOException if keytool fails or the file cannot be written
     */
    public void writeCa(Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("ca-cert.pem"), keytool(null, "-exportcert", "-rfc", "-alias", "ca", "-keystore", caStore()));
    }

    /**
     * Writes {@code dir/ROLE-cert.pem} and {@code dir/ROLE-key.pem}: a certificate this CA signs
     * for {@code subject}, with subject alternative names {@code names} (keytool syntax, may be
     * empty), valid for a year from now or, when {@code expired}, a day that ended last week.
     *
     * @param dir the tls-creds folder (created if missing)
     * @param role which pair to write
     * @param subject the certificate's distinguished name
     * @param names subject alternative names, keytool syntax ({@code dns:localhost,ip:127.0.0.1})
     * @param expired whether the certificate's validity already ended
     * @throws IOException if keytool fails or a file cannot be written
     */
    public void issue(Path dir, Role role, String subject, String names, boolean expired) throws IOException {
        Files.createDirectories(dir);
        String store = work.resolve(role.prefix() + "-" + System.nanoTime() + ".p12").toString();
        keytool(null, "-genkeypair", "-alias", "leaf", "-dname", subject, "-keyalg", "EC", "-groupname", "secp256r1", "-keystore", store);
        String request = keytool(null, "-certreq", "-alias", "leaf", "-keystore", store);
        List<String> sign = new ArrayList<>(List.of("-gencert", "-rfc", "-alias", "ca", "-keystore", caStore()));
        if (!names.isEmpty()) {
            sign.addAll(List.of("-ext", "san=" + names));
        }
        sign.addAll(expired ? List.of("-startdate", "-8d", "-validity", "1") : List.of("-validity", "365"));
        Files.writeString(dir.resolve(role.prefix() + "-cert.pem"), keytool(request, sign.toArray(String[]::new)));
        Files.writeString(dir.resolve(role.prefix() + "-key.pem"), privateKeyPem(Path.of(store)));
    }

    private String caStore() {
        return work.resolve("ca.p12").toString();
    }

    private static String privateKeyPem(Path store) throws IOException {
        try (InputStream in = Files.newInputStream(store)) {
            KeyStore keys = KeyStore.getInstance("PKCS12");
            keys.load(in, PASSWORD.toCharArray());
            byte[] pkcs8 = keys.getKey("leaf", PASSWORD.toCharArray()).getEncoded();
            return "-----BEGIN PRIVATE KEY-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(pkcs8)
                    + "\n-----END PRIVATE KEY-----\n";
        } catch (GeneralSecurityException e) {
            throw new IOException(store + ": cannot read the key keytool made: " + e.getMessage(), e);
        }
    }

    /** Runs keytool with {@code input} on stdin; returns its stdout, or fails with its output. */
    private String keytool(String input, String... arguments) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(arguments));
        command.addAll(List.of("-storetype", "PKCS12", "-storepass", PASSWORD, "-noprompt"));
        Process process = new ProcessBuilder(command).redirectErrorStream(false).start();
        try {
            if (input != null) {
                process.getOutputStream().write(input.getBytes(StandardCharsets.US_ASCII));
            }
            process.getOutputStream().close();
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.US_ASCII);
            if (process.waitFor() != 0) {
                throw new IOException("keytool " + arguments[0] + " failed: " + (out + err).strip());
            }
            return out;
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while keytool ran", e);
        }
    }
}
