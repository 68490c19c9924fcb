package dev.ferry.transport;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * A connected tcp or unix socket. The JDK's SocketChannel already fails a blocked read or write
 * with AsynchronousCloseException when another thread closes it, which is what abort needs.
 */
final class SocketMigrationChannel implements MigrationChannel {

    private final MigrationUri uri;
    private final SocketChannel socket;

    SocketMigrationChannel(MigrationUri uri, SocketChannel socket) {
        this.uri = uri;
        this.socket = socket;
    }

    @Override
    public MigrationUri uri() {
        return uri;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        return socket.read(dst);
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        int total = src.remaining();
        while (src.hasRemaining()) {
            socket.write(src);
        }
        return total;
    }

    @Override
    public boolean isOpen() {
        return socket.isOpen();
    }

    @Override
    public void abort() {
        try {
            socket.close();
        } catch (IOException e) {
            // closing is all abort promises; the blocked caller sees the close itself
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
