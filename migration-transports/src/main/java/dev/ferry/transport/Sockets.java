package dev.ferry.transport;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.net.UnknownHostException;
import java.nio.channels.NetworkChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.time.Duration;

/** Socket addresses, options and the timed connect shared by tcp and unix. */
final class Sockets {

    /** Large buffers so one 1 MiB write moves without waiting on the window (Linux caps at net.core.*mem_max). */
    static final int BUFFER_BYTES = 4 << 20;

    private Sockets() {
    }

    /** The address to connect to; tcp needs a real host. */
    static SocketAddress remoteAddress(MigrationUri uri) throws TransportException {
        return switch (uri) {
            case MigrationUri.Tcp tcp when tcp.anyHost() ->
                throw new TransportException(uri, "a host is needed to connect (only a listener may leave it empty or 0)");
            case MigrationUri.Tcp tcp when tcp.port() == 0 ->
                throw new TransportException(uri, "port 0 is only for listening");
            case MigrationUri.Tcp tcp -> new InetSocketAddress(resolve(tcp), tcp.port());
            case MigrationUri.Unix unix -> UnixDomainSocketAddress.of(unix.path());
            default -> throw new IllegalArgumentException("not a socket URI: " + uri);
        };
    }

    /** The address to listen on: tcp with an empty host or 0 listens on every address. */
    static SocketAddress localAddress(MigrationUri uri) throws TransportException {
        return switch (uri) {
            case MigrationUri.Tcp tcp when tcp.anyHost() -> new InetSocketAddress(tcp.port());
            case MigrationUri.Tcp tcp -> new InetSocketAddress(resolve(tcp), tcp.port());
            case MigrationUri.Unix unix -> UnixDomainSocketAddress.of(unix.path());
            default -> throw new IllegalArgumentException("not a socket URI: " + uri);
        };
    }

    /** Connects within {@code timeout}, then leaves the channel blocking and tuned for bulk transfer. */
    static SocketChannel connect(MigrationUri uri, Duration timeout) throws IOException {
        SocketAddress address = remoteAddress(uri);
        SocketChannel channel = uri instanceof MigrationUri.Unix
                ? SocketChannel.open(StandardProtocolFamily.UNIX) : SocketChannel.open();
        try {
            tune(channel, uri);
            channel.configureBlocking(false);
            if (!channel.connect(address)) {
                try (Selector selector = Selector.open()) {
                    channel.register(selector, SelectionKey.OP_CONNECT);
                    if (selector.select(Math.max(1, timeout.toMillis())) == 0) {
                        throw new TransportException(uri, "no connection within " + timeout.toMillis() + " ms");
                    }
                }
                channel.finishConnect();
            }
            channel.configureBlocking(true);
            return channel;
        } catch (ConnectException e) {
            channel.close();
            throw new TransportException(uri, "connection refused (nothing listens there)", e);
        } catch (TransportException e) {
            channel.close();
            throw e;
        } catch (IOException e) {
            channel.close();
            if (uri instanceof MigrationUri.Unix unix && !Files.exists(unix.path())) {
                throw new TransportException(uri, "no socket file at " + unix.path(), e);
            }
            throw new TransportException(uri, "cannot connect: " + e.getMessage(), e);
        }
    }

    /** TCP_NODELAY stays off (the stream is bulk) and both buffers are large; unix sockets need neither. */
    static void tune(NetworkChannel channel, MigrationUri uri) throws IOException {
        if (uri instanceof MigrationUri.Tcp) {
            if (channel instanceof SocketChannel) {
                channel.setOption(StandardSocketOptions.TCP_NODELAY, false);
                channel.setOption(StandardSocketOptions.SO_SNDBUF, BUFFER_BYTES);
            }
            channel.setOption(StandardSocketOptions.SO_RCVBUF, BUFFER_BYTES);
        }
    }

    private static InetAddress resolve(MigrationUri.Tcp tcp) throws TransportException {
        try {
            return InetAddress.getByName(tcp.host());
        } catch (UnknownHostException e) {
            throw new TransportException(tcp, "unknown host '" + tcp.host() + "'", e);
        }
    }
}
