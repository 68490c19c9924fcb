package dev.ferry.transport;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The destination's trust check with an authorization list on top: a source's certificate must
 * chain to the CA and carry an allowed subject. Failing inside the handshake (not after it) makes
 * JSSE send the source an alert, so both sides know at once.
 */
final class AuthorizingTrustManager extends X509ExtendedTrustManager {

    private final X509ExtendedTrustManager chain;
    private final AllowedSubjects allowed;

    AuthorizingTrustManager(X509ExtendedTrustManager chain, AllowedSubjects allowed) {
        this.chain = chain;
        this.allowed = allowed;
    }

    @Override
    public void checkClientTrusted(X509Certificate[] certificates, String authType, SSLEngine engine) throws CertificateException {
        chain.checkClientTrusted(certificates, authType, engine);
        authorize(certificates);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] certificates, String authType, Socket socket) throws CertificateException {
        chain.checkClientTrusted(certificates, authType, socket);
        authorize(certificates);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] certificates, String authType) throws CertificateException {
        chain.checkClientTrusted(certificates, authType);
        authorize(certificates);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] certificates, String authType, SSLEngine engine) throws CertificateException {
        chain.checkServerTrusted(certificates, authType, engine);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] certificates, String authType, Socket socket) throws CertificateException {
        chain.checkServerTrusted(certificates, authType, socket);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] certificates, String authType) throws CertificateException {
        chain.checkServerTrusted(certificates, authType);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return chain.getAcceptedIssuers();
    }

    private void authorize(X509Certificate[] certificates) throws NotAuthorizedException {
        if (!allowed.allows(certificates[0])) {
            throw new NotAuthorizedException(certificates[0].getSubjectX500Principal().getName());
        }
    }

    /** A trusted source whose subject the authorization list does not name. */
    static final class NotAuthorizedException extends CertificateException {
        private static final long serialVersionUID = 1L;

        NotAuthorizedException(String subject) {
            super("the source's certificate subject '" + subject + "' is not on the authorization list");
        }
    }
}
