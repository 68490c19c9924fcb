package dev.ferry.monitor;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A loopback TCP proxy between a migration source and its destination that can drop the
 * connection (both sides see a reset, neither process is touched), stall it (nothing passes, nobody
 * is told), or hold the stream at the first
 * frame of a kind, e.g. END, which the source sends only once it paused the VM: the destination
 * never gets the switch, so the migration stays in it until the test acts. A side that goes away closes the other, as a dead peer
 * would. One connection only.
 */
final class TcpCutter implements AutoCloseable {

    private static final int BUFFER_BYTES = 64 * 1024;

    private final ServerSocket server;
    private final int targetPort;
    private final CountDownLatch held = new CountDownLatch(1);
    private final CountDownLatch ended = new CountDownLatch(1);
    private volatile int holdKind = -1;
    private volatile long forwarded;
    private final FrameScanner scanner = new FrameScanner();
    private volatile Socket upstream;
    private volatile Socket downstream;
    private volatile boolean closed;
    private volatile boolean stalled;

    private TcpCutter(ServerSocket server, int targetPort) {
        this.server = server;
        this.targetPort = targetPort;
    }

    /** Listens on a free loopback port and forwards the first connection to {@code tcp:127.0.0.1:port}. */
    static TcpCutter to(String targetUri) throws IOException {
        int port = Integer.parseInt(targetUri.substring(targetUri.lastIndexOf(':') + 1));
        ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        TcpCutter cutter = new TcpCutter(server, port);
        Thread.ofPlatform().daemon().name("cutter-accept").start(cutter::accept);
        return cutter;
    }

    /** Where the source should migrate to. */
    String uri() {
        return "tcp:127.0.0.1:" + server.getLocalPort();
    }

    /** Stops forwarding the source's stream at the first frame of {@code kind}; set before it connects. */
    void holdAt(int kind) {
        holdKind = kind;
    }

    /** Frames forwarded so far that were sealed with XXH3-64. */
    long xxh3Frames() {
        return scanner.xxh3Frames();
    }

    /** Bytes of the source's stream passed on so far. */
    long forwarded() {
        return forwarded;
    }

    /** Waits until the source's stream reached {@code bytes}; false if it ended or timed out first. */
    boolean awaitForwarded(long bytes, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (forwarded < bytes) {
            if (ended.getCount() == 0 || System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(5);
        }
        return true;
    }

    /** Waits until the stream is held at the frame given to {@link #holdAt}. */
    boolean awaitHeld(Duration timeout) throws InterruptedException {
        return held.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Whether the connection has ended, by a side or by {@link #cut}. */
    boolean awaitEnded(Duration timeout) throws InterruptedException {
        return ended.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Stops passing bytes either way without closing anything, as when a link goes down: the
     * source's writes block once the buffers fill, and neither side hears of the other again.
     */
    void stall() {
        stalled = true;
    }

    /** Drops the connection: both sides get a reset, as when a link dies under a live stream. */
    void cut() {
        closeAll(true);
    }

    private void accept() {
        try (ServerSocket listening = server) {
            Socket source = listening.accept();
            Socket target = new Socket();
            target.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort), 10_000);
            upstream = source;
            downstream = target;
            if (closed) {
                closeAll(true);
                return;
            }
            Thread.ofPlatform().daemon().name("cutter-up").start(this::pumpUp);
            Thread.ofPlatform().daemon().name("cutter-down").start(this::pumpDown);
        } catch (IOException e) {
            closeAll(true);
        }
    }

    /**
     * Source to destination, watching the frames. From a held frame on, the source's bytes are
     * read and dropped: the destination never sees the switch, yet the source's going away still
     * ends the connection. The source finishing half-closes toward the destination.
     */
    private void pumpUp() {
        byte[] buffer = new byte[BUFFER_BYTES];
        boolean holding = false;
        try {
            InputStream in = upstream.getInputStream();
            OutputStream out = downstream.getOutputStream();
            int n;
            while ((n = in.read(buffer)) > 0) {
                awaitUnlessStalled();
                if (holding) {
                    continue;
                }
                int stop = scanner.find(buffer, 0, n, holdKind);
                int pass = stop < 0 ? n : stop;
                out.write(buffer, 0, pass);
                forwarded += pass;
                if (stop >= 0) {
                    holding = true;
                    held.countDown();
                }
            }
            awaitUnlessStalled();
            if (holding) {
                closeAll(false);
            } else {
                downstream.shutdownOutput();
            }
        } catch (IOException e) {
            awaitUnlessStalled();
            closeAll(false);
        }
    }

    /** Destination to source: the return path. The destination going away takes the source's side with it. */
    private void pumpDown() {
        byte[] buffer = new byte[BUFFER_BYTES];
        try {
            InputStream in = downstream.getInputStream();
            OutputStream out = upstream.getOutputStream();
            int n;
            while ((n = in.read(buffer)) > 0) {
                awaitUnlessStalled();
                out.write(buffer, 0, n);
            }
        } catch (IOException e) {
            // Ends as below.
        } finally {
            awaitUnlessStalled();
            closeAll(false);
        }
    }

    /**
     * A stalled pump stops here, passing on neither bytes nor the end of its side, until the test
     * closes the cutter.
     */
    private void awaitUnlessStalled() {
        if (stalled) {
            try {
                ended.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private synchronized void closeAll(boolean reset) {
        closed = true;
        for (Socket socket : new Socket[] {upstream, downstream}) {
            if (socket == null) {
                continue;
            }
            try {
                if (reset && !socket.isClosed()) {
                    socket.setSoLinger(true, 0);
                }
                socket.close();
            } catch (IOException ignored) {
                // Closing is all that is left to do.
            }
        }
        try {
            server.close();
        } catch (IOException ignored) {
            // As above.
        }
        ended.countDown();
    }

    @Override
    public void close() {
        closeAll(true);
    }
}
