package dev.ferry.transport;

import java.nio.file.Path;

/** The grammar behind {@link MigrationUri#parse}: each malformed input gets its own message. */
final class UriParser {

    private static final String EXPECTED = "expected tcp:HOST:PORT, unix:PATH, fd:N or exec:COMMAND";

    private UriParser() {
    }

    static MigrationUri parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("empty migration URI: " + EXPECTED);
        }
        int colon = text.indexOf(':');
        if (colon < 0) {
            throw bad(text, "has no scheme; " + EXPECTED);
        }
        String scheme = text.substring(0, colon);
        String rest = text.substring(colon + 1);
        return switch (scheme) {
            case "tcp" -> tcp(text, rest);
            case "unix" -> unix(text, rest);
            case "fd" -> fd(text, rest);
            case "exec" -> exec(text, rest);
            default -> throw bad(text, "has unknown scheme '" + scheme + "'; " + EXPECTED);
        };
    }

    private static MigrationUri tcp(String text, String rest) {
        String host;
        String port;
        if (rest.startsWith("[")) {
            int close = rest.indexOf(']');
            if (close < 0) {
                throw bad(text, "has an IPv6 host without a closing ']'");
            }
            host = rest.substring(1, close);
            if (!rest.startsWith(":", close + 1)) {
                throw bad(text, "needs ':PORT' after the bracketed host");
            }
            port = rest.substring(close + 2);
        } else {
            int colon = rest.lastIndexOf(':');
            if (colon < 0) {
                throw bad(text, "has no port; expected tcp:HOST:PORT");
            }
            host = rest.substring(0, colon);
            if (host.indexOf(':') >= 0) {
                throw bad(text, "has an IPv6 host that is not in brackets; write tcp:[" + host + "]:PORT");
            }
            port = rest.substring(colon + 1);
        }
        return new MigrationUri.Tcp(host, number(text, port, "port", 65535));
    }

    private static MigrationUri unix(String text, String rest) {
        if (rest.isEmpty()) {
            throw bad(text, "has no socket path; expected unix:PATH");
        }
        if (rest.indexOf('\0') >= 0) {
            throw bad(text, "has a NUL character in its socket path");
        }
        return new MigrationUri.Unix(Path.of(rest));
    }

    private static MigrationUri fd(String text, String rest) {
        return new MigrationUri.Fd(number(text, rest, "descriptor", Integer.MAX_VALUE));
    }

    private static MigrationUri exec(String text, String rest) {
        if (rest.isBlank()) {
            throw bad(text, "has no command; expected exec:COMMAND");
        }
        return new MigrationUri.Exec(rest);
    }

    private static int number(String text, String digits, String what, int max) {
        if (digits.isEmpty()) {
            throw bad(text, "has no " + what + " number");
        }
        if (!digits.chars().allMatch(c -> c >= '0' && c <= '9') || digits.length() > 10
                || Long.parseLong(digits) > max) {
            throw bad(text, "has " + what + " '" + digits + "', which is not a number in 0.." + max);
        }
        return Integer.parseInt(digits);
    }

    private static IllegalArgumentException bad(String text, String problem) {
        return new IllegalArgumentException("migration URI '" + text + "' " + problem);
    }
}
