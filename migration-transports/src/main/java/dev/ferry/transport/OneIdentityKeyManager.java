package dev.ferry.transport;

import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * Presents the one certificate of a tls-creds pair, whoever asks. The JDK's key manager needs a
 * password-protected key store (a second of PBKDF2 at start-up here) and withholds a client
 * certificate the server's CA list does not name, which leaves the destination to say only "no
 * certificate"; presenting it anyway lets the destination say what is wrong with it.
 */
final class OneIdentityKeyManager extends X509ExtendedKeyManager {

    private static final String ALIAS = "ferry";

    private final X509Certificate[] chain;
    private final PrivateKey key;

    OneIdentityKeyManager(List<X509Certificate> chain, PrivateKey key) {
        this.chain = chain.toArray(X509Certificate[]::new);
        this.key = key;
    }

    /** Whether the key can sign for a TLS key type (RSA keys also serve RSASSA-PSS). */
    private boolean fits(String keyType) {
        String algorithm = key.getAlgorithm();
        return keyType.equals(algorithm) || algorithm.equals("RSA") && keyType.equals("RSASSA-PSS");
    }

    private String aliasFor(String... keyTypes) {
        return keyTypes != null && Arrays.stream(keyTypes).anyMatch(this::fits) ? ALIAS : null;
    }

    @Override
    public String chooseEngineClientAlias(String[] keyTypes, Principal[] issuers, SSLEngine engine) {
        return aliasFor(keyTypes);
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
        return aliasFor(keyType);
    }

    @Override
    public String chooseClientAlias(String[] keyTypes, Principal[] issuers, Socket socket) {
        return aliasFor(keyTypes);
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        return aliasFor(keyType);
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        return fits(keyType) ? new String[] {ALIAS} : null;
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        return getClientAliases(keyType, issuers);
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        return ALIAS.equals(alias) ? chain.clone() : null;
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        return ALIAS.equals(alias) ? key : null;
    }
}
