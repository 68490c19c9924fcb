package dev.ferry.transport;

import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.util.Locale;
import javax.net.ssl.SSLException;

/**
 * Turns what JSSE throws when a handshake fails into one line that says which side refused what:
 * a certificate from another CA, an expired one, a wrong host name, a subject not on the list,
 * or a peer that does not speak TLS at all.
 */
final class TlsFailure {

    static final String CLOSED_IN_HANDSHAKE = "closed during the TLS handshake";

    private TlsFailure() {
    }

    /** The one-line refusal for a handshake on {@code uri} that ended with {@code failure}. */
    static TransportException of(MigrationUri uri, Throwable failure, boolean client) {
        if (failure instanceof TransportException t && !t.getMessage().endsWith(CLOSED_IN_HANDSHAKE)) {
            return t;
        }
        return new TransportException(uri, "TLS handshake failed: " + reason(failure, client), failure);
    }

    private static String reason(Throwable failure, boolean client) {
        String peer = client ? "the destination" : "the source";
        String self = client ? "this source" : "this destination";
        String flag = client ? "a destination without --tls-creds?" : "a source without --tls-creds?";
        for (Throwable t = failure; t != null; t = t.getCause()) {
            switch (t) {
                case AuthorizingTrustManager.NotAuthorizedException e -> {
                    return e.getMessage();
                }
                case CertificateExpiredException e -> {
                    return peer + "'s certificate has expired";
                }
                case CertificateNotYetValidException e -> {
                    return peer + "'s certificate is not valid yet";
                }
                case CertPathValidatorException e when e.getReason() == CertPathValidatorException.BasicReason.EXPIRED -> {
                    return peer + "'s certificate (or its CA's) has expired";
                }
                case CertPathValidatorException e when e.getReason() == CertPathValidatorException.BasicReason.NOT_YET_VALID -> {
                    return peer + "'s certificate (or its CA's) is not valid yet";
                }
                case CertPathBuilderException e -> {
                    return peer + "'s certificate is not signed by the CA in " + self + "'s ca-cert.pem";
                }
                default -> {
                }
            }
        }
        String message = failure.getMessage() == null ? failure.toString() : failure.getMessage();
        String lower = message.toLowerCase(Locale.ROOT);
        if (lower.contains("subject alternative name") || lower.contains("no name matching")) {
            return peer + "'s certificate does not name the host dialled (" + message + ")";
        }
        if (lower.contains("received fatal alert")) {
            String alert = message.substring(lower.indexOf("received fatal alert") + "received fatal alert".length()).replace(":", "").strip();
            return peer + " refused " + self + "'s certificate (TLS alert " + alert + ": another CA, expired, or not authorized there)";
        }
        if (lower.contains("unrecognized ssl message") || lower.contains("unsupported or unrecognized")) {
            return peer + " does not speak TLS (" + flag + ")";
        }
        if (lower.contains("empty client certificate") || lower.contains("null cert chain")) {
            return "the source sent no certificate from this destination's CA (its client-cert.pem is missing or signed by another CA)";
        }
        if (message.endsWith(CLOSED_IN_HANDSHAKE)) {
            return peer + " " + CLOSED_IN_HANDSHAKE + " (" + flag + ")";
        }
        return failure instanceof SSLException ? message : message + " (" + flag + ")";
    }
}
