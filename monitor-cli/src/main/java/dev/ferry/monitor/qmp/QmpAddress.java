package dev.ferry.monitor.qmp;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where QMP listens, as QEMU's {@code -qmp} spells it: {@code unix:PATH[,server][,nowait]} or
 * {@code tcp:HOST:PORT[,server][,nowait]}. Ferry always serves (it never connects out), so the
 * options are accepted and change nothing; {@code wait} would block start-up and is refused.
 */
record QmpAddress(SocketAddress address, StandardProtocolFamily family, Optional<Path> socketFile) {

    static QmpAddress parse(String spec) {
        String[] parts = spec.split(",");
        for (int i = 1; i < parts.length; i++) {
            if (!parts[i].equals("server") && !parts[i].equals("nowait") && !parts[i].equals("server=on") && !parts[i].equals("wait=off")) {
                throw new IllegalArgumentException("qmp '" + spec + "': option '" + parts[i] + "' is not supported (server, nowait)");
            }
        }
        String where = parts[0];
        if (where.startsWith("unix:") && where.length() > "unix:".length()) {
            Path path = Path.of(where.substring("unix:".length()));
            return new QmpAddress(UnixDomainSocketAddress.of(path), StandardProtocolFamily.UNIX, Optional.of(path));
        }
        if (where.startsWith("tcp:")) {
            String hostPort = where.substring("tcp:".length());
            int colon = hostPort.lastIndexOf(':');
            if (colon >= 0) {
                try {
                    int port = Integer.parseInt(hostPort.substring(colon + 1));
                    String host = hostPort.substring(0, colon);
                    return new QmpAddress(new InetSocketAddress(host.isEmpty() ? "0.0.0.0" : host, port),
                            StandardProtocolFamily.INET, Optional.empty());
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("qmp '" + spec + "': " + e.getMessage());
                }
            }
        }
        throw new IllegalArgumentException("qmp '" + spec + "' is not unix:PATH or tcp:HOST:PORT");
    }
}
