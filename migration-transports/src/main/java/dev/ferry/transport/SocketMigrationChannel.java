package dev.ferry.transport;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SocketChannel;

/**
 * A connected tcp or unix socket. The JDK's SocketChannel already fails a blocked read or write
 * with AsynchronousCloseException when another thread closes it, which is what abort needs.
 * Other I/O errors are rethrown naming the URI.
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
        try {
            return socket.read(dst);
        } catch (ClosedChannelException e) {
            throw e;
        } catch (IOException e) {
            throw new TransportException(uri, "read failed: " + e.getMessage(), e);
        }
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        int total = src.remaining();
        try {
            while (src.hasRemaining()) {
                socket.write(src);
            }
        } catch (ClosedChannelException e) {
            throw e;
        } catch (IOException e) {
            throw new TransportException(uri, "write failed after " + (total - src.remaining()) + " of "
                    + total + " bytes (the other side closed or reset the connection?): " + e.getMessage(), e);
        }
        return total;
    }

    @Override
    public void shutdownOutput() throws IOException {
        try {
            socket.shutdownOutput();
        } catch (ClosedChannelException e) {
            throw e;
        } catch (IOException e) {
            throw new TransportException(uri, "shutting the output down failed: " + e.getMessage(), e);
        }
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
