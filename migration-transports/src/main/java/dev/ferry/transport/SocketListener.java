package dev.ferry.transport;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Listens on a tcp port or unix socket file for the one incoming migration. */
final class SocketListener implements MigrationListener {

    /** Makes the accepted socket a channel: as it is, or after a TLS handshake. */
    @FunctionalInterface
    interface Handover {
        MigrationChannel channel(MigrationUri uri, SocketChannel accepted) throws IOException;
    }

    private static final Logger LOG = LoggerFactory.getLogger(SocketListener.class);

    private final MigrationUri uri;
    private final MigrationUri boundUri;
    private final ServerSocketChannel server;
    private final Selector selector;
    private final Handover handover;

    private SocketListener(MigrationUri uri, MigrationUri boundUri, ServerSocketChannel server, Selector selector, Handover handover) {
        this.uri = uri;
        this.boundUri = boundUri;
        this.server = server;
        this.selector = selector;
        this.handover = handover;
    }

    static SocketListener open(MigrationUri uri, Handover handover) throws IOException {
        if (uri instanceof MigrationUri.Unix unix) {
            removeStaleSocket(unix);
        }
        var address = Sockets.localAddress(uri);
        ServerSocketChannel server = uri instanceof MigrationUri.Unix
                ? ServerSocketChannel.open(StandardProtocolFamily.UNIX) : ServerSocketChannel.open();
        try {
            Sockets.tune(server, uri);
            server.bind(address, 1);
            server.configureBlocking(false);
            Selector selector = Selector.open();
            server.register(selector, SelectionKey.OP_ACCEPT);
            MigrationUri bound = uri instanceof MigrationUri.Tcp tcp
                    ? new MigrationUri.Tcp(tcp.host(), ((InetSocketAddress) server.getLocalAddress()).getPort())
                    : uri;
            LOG.info("listening for an incoming migration on {}", bound);
            return new SocketListener(uri, bound, server, selector, handover);
        } catch (IOException e) {
            server.close();
            throw new TransportException(uri, "cannot listen: " + e.getMessage(), e);
        }
    }

    @Override
    public MigrationUri uri() {
        return uri;
    }

    @Override
    public MigrationUri boundUri() {
        return boundUri;
    }

    @Override
    public MigrationChannel accept(Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            while (true) {
                SocketChannel accepted = server.accept();
                if (accepted != null) {
                    accepted.configureBlocking(true);
                    Sockets.tune(accepted, uri);
                    return handover.channel(boundUri, accepted);
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new TransportException(boundUri, "no incoming connection within " + timeout.toMillis() + " ms");
                }
                selector.select(Math.max(1, left / 1_000_000));
                selector.selectedKeys().clear();
            }
        } catch (ClosedChannelException | ClosedSelectorException e) {
            throw new TransportException(boundUri, "listener closed before a connection arrived", e);
        } finally {
            close();
        }
    }

    /** Closing again does nothing: above all it must not remove a socket file a new listener made at the same path. */
    @Override
    public void close() throws IOException {
        if (!server.isOpen()) {
            return;
        }
        selector.wakeup();
        try (selector; server) {
            if (uri instanceof MigrationUri.Unix unix) {
                Files.deleteIfExists(unix.path());
            }
        }
    }

    /** Like QEMU, reuse the path of a socket left behind by an earlier run; refuse to touch other files. */
    private static void removeStaleSocket(MigrationUri.Unix unix) throws TransportException {
        Path path = unix.path();
        try {
            BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (!attributes.isOther()) {
                throw new TransportException(unix, path + " exists and is not a socket");
            }
            Files.delete(path);
        } catch (java.nio.file.NoSuchFileException e) {
            // nothing left behind
        } catch (IOException e) {
            if (e instanceof TransportException t) {
                throw t;
            }
            throw new TransportException(unix, "cannot replace the old socket file: " + e.getMessage(), e);
        }
    }
}
