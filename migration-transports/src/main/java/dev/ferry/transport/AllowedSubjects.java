package dev.ferry.transport;

import java.security.cert.X509Certificate;
import java.util.LinkedHashSet;
import java.util.Set;
import javax.security.auth.x500.X500Principal;

/**
 * The authorization list of a TLS destination: the certificate subjects (X.500 distinguished
 * names, one per line, {@code #} starts a comment) whose sources may migrate in. Names compare in
 * their canonical form, so spacing and attribute-name case do not matter ({@code CN=a, O=b} is
 * {@code cn=a,o=b}); a trusted certificate with any other subject is refused.
 */
record AllowedSubjects(Set<X500Principal> subjects) {

    AllowedSubjects {
        subjects = Set.copyOf(subjects);
    }

    /** Parses the list's text; a line that is not a distinguished name fails naming its number. */
    static AllowedSubjects parse(String text) {
        Set<X500Principal> subjects = new LinkedHashSet<>();
        String[] lines = text.split("\\R", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            try {
                subjects.add(new X500Principal(line));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("line " + (i + 1) + " is not a distinguished name such as CN=source,O=example");
            }
        }
        if (subjects.isEmpty()) {
            throw new IllegalArgumentException("it lists no subject, so no source could ever connect");
        }
        return new AllowedSubjects(subjects);
    }

    boolean allows(X509Certificate peer) {
        return subjects.contains(peer.getSubjectX500Principal());
    }
}
