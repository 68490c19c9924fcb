package dev.ferry.transport;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Where a migration stream goes or comes from, written the way QEMU users write it:
 * {@code tcp:HOST:PORT}, {@code unix:PATH}, {@code fd:N} or {@code exec:COMMAND}.
 *
 * <p>{@link #parse} gives one clear message per malformed input; {@code toString()} gives the
 * canonical text back (IPv6 hosts in brackets), so every error can name the URI.
 */
public sealed interface MigrationUri {

    /**
     * A TCP endpoint; an empty host or {@code 0} means "all addresses" when listening; port 0 picks a free port.
     *
     * @param host a host name or address; IPv6 without brackets
     * @param port 0..65535
     */
    record Tcp(String host, int port) implements MigrationUri {
        /** Checks the port range. */
        public Tcp {
            Objects.requireNonNull(host, "host");
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("tcp port " + port + " is outside 0..65535");
            }
        }

        /**
         * Whether the host names every local address (empty or {@code 0}).
         *
         * @return true for a wildcard host
         */
        public boolean anyHost() {
            return host.isEmpty() || host.equals("0");
        }

        @Override
        public String toString() {
            return "tcp:" + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
        }
    }

    /**
     * A unix domain socket file.
     *
     * @param path the socket file
     */
    record Unix(Path path) implements MigrationUri {
        /** Checks the path is given. */
        public Unix {
            Objects.requireNonNull(path, "path");
        }

        @Override
        public String toString() {
            return "unix:" + path;
        }
    }

    /**
     * A descriptor this process already holds, typically inherited from the parent that connected it.
     *
     * @param fd the descriptor number, not negative
     */
    record Fd(int fd) implements MigrationUri {
        /** Checks the number is not negative. */
        public Fd {
            if (fd < 0) {
                throw new IllegalArgumentException("fd " + fd + " is negative");
            }
        }

        @Override
        public String toString() {
            return "fd:" + fd;
        }
    }

    /**
     * A shell command: outgoing streams go to its stdin, incoming streams come from its stdout.
     *
     * @param command the command line, run by {@code /bin/sh -c}
     */
    record Exec(String command) implements MigrationUri {
        /** Checks the command is given. */
        public Exec {
            Objects.requireNonNull(command, "command");
        }

        @Override
        public String toString() {
            return "exec:" + command;
        }
    }

    /**
     * Parses a migration URI.
     *
     * @param text {@code tcp:HOST:PORT}, {@code unix:PATH}, {@code fd:N} or {@code exec:COMMAND}
     * @return the parsed URI
     * @throws IllegalArgumentException with a one-line message naming the URI and what is wrong with it
     */
    static MigrationUri parse(String text) {
        return UriParser.parse(text);
    }
}
