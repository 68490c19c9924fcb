package dev.ferry.monitor.qmp;

import dev.ferry.monitor.hmp.ServedSocket;
import dev.ferry.monitor.hmp.VmControl;
import java.io.IOException;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * QEMU's machine protocol on a unix or TCP socket: one client at a time, as QEMU's {@code -qmp}
 * serves. A unix socket file is removed when serving ends.
 */
public final class QmpServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(QmpServer.class);

    private final QmpAddress address;
    private final ServerSocketChannel server;
    private volatile SocketChannel client;

    private QmpServer(QmpAddress address, ServerSocketChannel server) {
        this.address = address;
        this.server = server;
    }

    /** Binds at once, so a client can connect as soon as the VM runs. */
    public static QmpServer listen(String spec) {
        QmpAddress address = QmpAddress.parse(spec);
        try {
            if (address.socketFile().isPresent() && Files.exists(address.socketFile().get())
                    && !Files.isRegularFile(address.socketFile().get()) && !Files.isDirectory(address.socketFile().get())) {
                Files.delete(address.socketFile().get()); // a stale socket of an earlier run
            }
            ServerSocketChannel server = ServerSocketChannel.open(address.family());
            server.bind(address.address());
            return new QmpServer(address, server);
        } catch (IOException e) {
            throw new IllegalArgumentException("qmp " + spec + ": cannot listen: " + e.getMessage(), e);
        }
    }

    /** Serves clients one after another until {@link #close}. */
    public void serve(VmControl control) {
        while (server.isOpen()) {
            try (SocketChannel accepted = server.accept()) {
                client = accepted;
                if (!new QmpConnection(accepted, control).converse()) {
                    return;
                }
            } catch (AsynchronousCloseException e) {
                return;
            } catch (IOException e) {
                LOG.debug("qmp connection ended: {}", e.getMessage());
            } finally {
                client = null;
            }
        }
    }

    @Override
    public void close() {
        ServedSocket.close(server, client, address.socketFile(), "qmp socket");
    }
}
