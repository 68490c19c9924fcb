package dev.ferry.monitor.hmp;

import java.io.IOException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** How a monitor's listening socket ends (HMP's and QMP's alike): closed, its client too, its file gone. */
public final class ServedSocket {

    private static final Logger LOG = LoggerFactory.getLogger(ServedSocket.class);

    private ServedSocket() {
    }

    /**
     * Closes {@code server} and the {@code client} it serves (if any), then removes the unix
     * socket's file; failures are logged, never thrown, since this runs while Ferry ends.
     *
     * @param what the socket's name in log lines, e.g. "monitor socket"
     */
    public static void close(ServerSocketChannel server, SocketChannel client, Optional<Path> socketFile, String what) {
        try {
            server.close();
            if (client != null) {
                client.close();
            }
        } catch (IOException e) {
            LOG.debug("closing {}: {}", what, e.getMessage());
        }
        if (socketFile.isPresent()) {
            try {
                Files.deleteIfExists(socketFile.get());
            } catch (IOException e) {
                LOG.warn("could not remove {} {}: {}", what, socketFile.get(), e.getMessage());
            }
        }
    }
}
