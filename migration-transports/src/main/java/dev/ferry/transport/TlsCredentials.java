package dev.ferry.transport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The x509 credentials of {@code ferry run --tls-creds DIR}, laid out like QEMU's
 * {@code tls-creds-x509}: {@code ca-cert.pem} (the CA every peer's certificate must chain to),
 * {@code server-cert.pem} + {@code server-key.pem} (this process as a destination) and
 * {@code client-cert.pem} + {@code client-key.pem} (this process as a source). A process that
 * only receives needs no client pair, one that only sends no server pair.
 *
 * <p>Every connection is TLS 1.3 with AES-GCM and verifies both peers: the destination demands a
 * client certificate, the source checks the destination's certificate names the tcp host it
 * dialled (a unix socket has no host name, so there only the chain is checked). An optional
 * authorization list narrows which trusted source subjects a destination accepts.
 */
public final class TlsCredentials {

    static final String[] PROTOCOLS = {"TLSv1.3"};
    /**
     * AES-GCM only, AES-128 first: the AES-NI/CLMUL intrinsics make AES-GCM the fast suite on x86 and AES-128
     * runs 10 rounds to AES-256's 14 (ChaCha20 is not offered). Both ends list this order, so 128 is chosen
     * (TlsTransportTest checks it).
     */
    static final String[] CIPHER_SUITES = {"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384"};

    private final Path directory;
    private final Optional<SSLContext> server;
    private final Optional<SSLContext> client;
    /** What the warm-up handshake needs: both identities (one may be missing) and the CA's trust without the authorization list. */
    private final Optional<Identity> serverKeys;
    private final Optional<Identity> clientKeys;
    private final TrustManager[] trust;

    private TlsCredentials(Path directory, Optional<Identity> serverKeys, Optional<Identity> clientKeys, TrustManager[] trust,
            TrustManager[] sourceTrust) {
        this.directory = directory;
        this.server = serverKeys.map(keys -> context(keys, sourceTrust));
        this.client = clientKeys.map(keys -> context(keys, trust));
        this.serverKeys = serverKeys;
        this.clientKeys = clientKeys;
        this.trust = trust;
    }

    /**
     * Reads {@code directory}, and {@code authorization} (a file listing allowed source subjects)
     * when given. The first load in a process also starts warming TLS on a daemon thread until a
     * migration's stream and handshake begin: the record cipher on a throwaway key, then a handshake
     * in memory with these credentials' own keys (see {@code TlsWarmUp}).
     *
     * @param directory a folder laid out like QEMU's tls-creds-x509
     * @param authorization a file of allowed source subjects, one distinguished name a line
     * @return the credentials, ready to make TLS engines
     * @throws IOException with one line naming the file and what is wrong with it
     */
    public static TlsCredentials load(Path directory, Optional<Path> authorization) throws IOException {
        List<X509Certificate> cas = parse(directory.resolve("ca-cert.pem"), PemFiles::certificates);
        Optional<AllowedSubjects> allowed = authorization.isEmpty() ? Optional.empty()
                : Optional.of(parse(authorization.get(), AllowedSubjects::parse));
        try {
            TrustManager[] trust = trustManagers(cas);
            TrustManager[] sourceTrust = allowed.isEmpty() ? trust
                    : new TrustManager[] {new AuthorizingTrustManager((X509ExtendedTrustManager) trust[0], allowed.get())};
            Optional<Identity> serverKeys = identity(directory, "server");
            Optional<Identity> clientKeys = identity(directory, "client");
            if (serverKeys.isEmpty() && clientKeys.isEmpty()) {
                throw new IOException(directory + ": holds neither server-cert.pem/server-key.pem nor client-cert.pem/client-key.pem");
            }
            TlsCredentials credentials = new TlsCredentials(directory, serverKeys, clientKeys, trust, sourceTrust);
            TlsWarmUp.startOnce(credentials);
            return credentials;
        } catch (GeneralSecurityException | IllegalStateException e) {
            throw new IOException(directory + ": cannot set up TLS: " + e.getMessage(), e);
        }
    }

    /**
     * The folder the credentials came from.
     *
     * @return the folder given to {@link #load}
     */
    public Path directory() {
        return directory;
    }

    /** An engine for the destination's end of {@code uri}: it demands and verifies the source's certificate. */
    SSLEngine serverEngine(MigrationUri uri) throws TransportException {
        return serverEngine(server.orElseThrow(() -> new TransportException(uri,
                "TLS needs " + directory.resolve("server-cert.pem") + " and server-key.pem to receive")));
    }

    private static SSLEngine serverEngine(SSLContext context) {
        SSLEngine engine = context.createSSLEngine();
        engine.setUseClientMode(false);
        SSLParameters parameters = parameters(engine);
        parameters.setNeedClientAuth(true);
        engine.setSSLParameters(parameters);
        return engine;
    }

    /** An engine for the source's end of {@code uri}; for tcp it checks that the destination's certificate names the host. */
    SSLEngine clientEngine(MigrationUri uri) throws TransportException {
        SSLContext context = client.orElseThrow(() -> new TransportException(uri,
                "TLS needs " + directory.resolve("client-cert.pem") + " and client-key.pem to send"));
        SSLEngine engine = uri instanceof MigrationUri.Tcp tcp ? context.createSSLEngine(tcp.host(), tcp.port()) : context.createSSLEngine();
        engine.setUseClientMode(true);
        SSLParameters parameters = parameters(engine);
        if (uri instanceof MigrationUri.Tcp) {
            parameters.setEndpointIdentificationAlgorithm("HTTPS");
        }
        engine.setSSLParameters(parameters);
        return engine;
    }

    /**
     * Two engines for the warm-up handshake, with these credentials' own keys and CA, from contexts
     * made for this call alone: their session caches and ticket keys are not the real contexts', so
     * no migration's handshake can resume from the warm-up's. The server checks the client's chain
     * but not the authorization list, since the warm-up admits nobody; with one pair only, it plays
     * both roles. The client checks the chain but no host name, having none to check.
     */
    HandshakeWarmUp.Engines warmUpEngines() {
        Identity serverIdentity = serverKeys.or(() -> clientKeys).orElseThrow();
        Identity clientIdentity = clientKeys.or(() -> serverKeys).orElseThrow();
        SSLEngine clientEngine = context(clientIdentity, trust).createSSLEngine();
        clientEngine.setUseClientMode(true);
        clientEngine.setSSLParameters(parameters(clientEngine));
        return new HandshakeWarmUp.Engines(clientEngine, serverEngine(context(serverIdentity, trust)));
    }

    private static SSLParameters parameters(SSLEngine engine) {
        SSLParameters parameters = engine.getSSLParameters();
        parameters.setProtocols(PROTOCOLS);
        parameters.setCipherSuites(CIPHER_SUITES);
        return parameters;
    }

    /** A certificate chain and its key. */
    private record Identity(List<X509Certificate> chain, PrivateKey key) {
    }

    /** {@code role-cert.pem} with {@code role-key.pem}, both or neither. */
    private static Optional<Identity> identity(Path directory, String role) throws IOException {
        Path cert = directory.resolve(role + "-cert.pem");
        Path key = directory.resolve(role + "-key.pem");
        if (!Files.exists(cert) && !Files.exists(key)) {
            return Optional.empty();
        }
        List<X509Certificate> chain = parse(cert, PemFiles::certificates);
        String algorithm = chain.getFirst().getPublicKey().getAlgorithm();
        return Optional.of(new Identity(chain, parse(key, text -> PemFiles.privateKey(text, algorithm))));
    }

    private static SSLContext context(Identity identity, TrustManager[] trust) {
        try {
            SSLContext context = SSLContext.getInstance("TLSv1.3");
            context.init(new KeyManager[] {new OneIdentityKeyManager(identity.chain(), identity.key())}, trust, null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    private static TrustManager[] trustManagers(List<X509Certificate> cas) throws GeneralSecurityException, IOException {
        KeyStore anchors = KeyStore.getInstance("PKCS12");
        anchors.load(null, null);
        for (int i = 0; i < cas.size(); i++) {
            anchors.setCertificateEntry("ca-" + i, cas.get(i));
        }
        TrustManagerFactory factory = TrustManagerFactory.getInstance("PKIX");
        factory.init(anchors);
        return factory.getTrustManagers();
    }

    /** Reads a text file for {@code parser}; a refusal becomes one line naming the file. */
    private static <T> T parse(Path file, Function<String, T> parser) throws IOException {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new IOException(file + ": no such file", e);
        } catch (IOException e) {
            throw new IOException(file + ": cannot read: " + e.getMessage(), e);
        }
        try {
            return parser.apply(text);
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }
}
