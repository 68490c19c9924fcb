package dev.ferry.blockmig;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;

/**
 * A loopback TCP relay for resume tests: forwards each connection to the destination, counts the
 * source's bytes per link, and cuts the current link on demand (both ends see it close, as when a
 * network path dies). Unlike monitor-cli's TcpCutter it serves any number of links, one at a time.
 */
final class LinkCutter implements AutoCloseable {

    private final ServerSocketChannel server;
    private final InetSocketAddress target;
    private volatile SocketChannel fromSource;
    private volatile SocketChannel toDestination;
    private volatile long forwarded;

    LinkCutter(InetSocketAddress target) throws IOException {
        this.target = target;
        this.server = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
        Thread.ofPlatform().daemon().name("cutter-accept").start(this::accept);
    }

    InetSocketAddress address() throws IOException {
        return (InetSocketAddress) server.getLocalAddress();
    }

    /** Source bytes forwarded on the current link. */
    long forwarded() {
        return forwarded;
    }

    /** Waits until the current link forwarded {@code bytes}. */
    void awaitForwarded(long bytes, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (forwarded < bytes) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("only " + forwarded + " of " + bytes + " bytes forwarded in " + timeout);
            }
            Thread.sleep(1);
        }
    }

    /** Closes both ends of the current link. */
    void cut() throws IOException {
        fromSource.close();
        toDestination.close();
    }

    private void accept() {
        try {
            while (true) {
                SocketChannel source = server.accept();
                SocketChannel destination = SocketChannel.open(target);
                forwarded = 0;
                fromSource = source;
                toDestination = destination;
                Thread.ofPlatform().daemon().start(() -> pump(source, destination, true));
                Thread.ofPlatform().daemon().start(() -> pump(destination, source, false));
            }
        } catch (IOException e) {
            // closed
        }
    }

    private void pump(SocketChannel from, SocketChannel to, boolean count) {
        ByteBuffer buffer = ByteBuffer.allocateDirect(256 << 10);
        try {
            while (from.read(buffer) >= 0) {
                buffer.flip();
                long n = buffer.remaining();
                while (buffer.hasRemaining()) {
                    to.write(buffer);
                }
                if (count) {
                    forwarded += n;
                }
                buffer.clear();
            }
        } catch (IOException e) {
            // cut, or the peer went away
        }
        try {
            from.close();
            to.close();
        } catch (IOException e) {
            // already closed
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
