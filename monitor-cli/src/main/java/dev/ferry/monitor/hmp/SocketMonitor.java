package dev.ferry.monitor.hmp;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The monitor on a unix socket: one operator at a time, each gets a prompt after every answer, as
 * QEMU's {@code -monitor unix:PATH,server,nowait}. The socket file is removed when serving ends.
 */
public final class SocketMonitor implements MonitorEndpoint {

    private static final Logger LOG = LoggerFactory.getLogger(SocketMonitor.class);

    private final Path path;
    private final ServerSocketChannel server;
    private volatile SocketChannel client;
    /**
     * The commands, built on the first connection and kept for the next ones: picocli reflects
     * over every command to build them, which a script that connects once per command (polling
     * {@code info migrate}) paid at each poll, on the CPUs of the migration it watched.
     */
    private Hmp hmp;

    /** Binds at once, so the socket exists before the VM starts and a parent can connect. */
    SocketMonitor(Path path) {
        this.path = path;
        try {
            if (Files.exists(path) && !Files.isDirectory(path) && !Files.isRegularFile(path)) {
                Files.delete(path); // a stale socket of an earlier run
            }
            server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(path));
        } catch (IOException e) {
            throw new IllegalArgumentException("monitor unix:" + path + ": cannot listen: " + e.getMessage(), e);
        }
    }

    @Override
    public void serve(VmControl control) throws IOException {
        try {
            while (server.isOpen()) {
                try (SocketChannel accepted = server.accept()) {
                    client = accepted;
                    if (!converse(accepted, control)) {
                        return;
                    }
                } catch (java.nio.channels.AsynchronousCloseException e) {
                    return;
                } catch (IOException e) {
                    LOG.debug("monitor connection ended: {}", e.getMessage());
                } finally {
                    client = null;
                }
            }
        } finally {
            close();
        }
    }

    /** Returns false once the operator quit the VM. */
    private boolean converse(SocketChannel channel, VmControl control) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
        PrintWriter out = new PrintWriter(new OutputStreamWriter(Channels.newOutputStream(channel), StandardCharsets.UTF_8), false);
        if (hmp == null) {
            hmp = new Hmp(control, out, false);
        } else {
            hmp.answerOn(out);
        }
        out.print(PROMPT);
        out.flush();
        String line;
        while ((line = in.readLine()) != null) {
            if (!hmp.execute(line)) {
                return false;
            }
            out.print(PROMPT);
            out.flush();
        }
        return true;
    }

    @Override
    public void close() {
        ServedSocket.close(server, client, Optional.of(path), "monitor socket");
    }
}
