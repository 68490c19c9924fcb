package dev.ferry.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.SequencedMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The raw ceiling: a disk image copied from one process to another over loopback TCP into a file,
 * with no migration logic at all (no framing, no checksum, no zero detection). Both sides move 1
 * MiB direct buffers. The receiver makes the file durable as a migration's destination does: it
 * syncs in the background once every {@value #FLUSH_EVERY_BYTES} bytes while data arrives, on a
 * thread of its own, and once more at the end; it reports how long that last sync took, so the
 * ceiling can be read with and without it. (Until 2026-12-06 it synced only at the end, a whole
 * GiB of write-back after the copy, which Ferry's destination overlaps with the copy.)
 *
 * <pre>
 * RawCopy receive OUT      binds 127.0.0.1:0, prints "port N", writes what arrives to OUT
 * RawCopy send PORT IMAGE  sends IMAGE, prints one JSON line: bytes, total_ms, sync_ms
 * </pre>
 *
 * The sender's clock runs from connect to the receiver's acknowledgement, which comes after the
 * sync: the same span a migration's total time covers.
 */
public final class RawCopy {

    static final int CHUNK = 1 << 20;
    /** As often as Ferry's destination flushes in the background ({@code BackgroundFlush}). */
    static final long FLUSH_EVERY_BYTES = 64L << 20;

    private RawCopy() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length == 2 && args[0].equals("receive")) {
            receive(Path.of(args[1]), System.out, FLUSH_EVERY_BYTES);
        } else if (args.length == 3 && args[0].equals("send")) {
            System.out.println(Json.write(send(Integer.parseInt(args[1]), Path.of(args[2]))));
        } else {
            System.err.println("usage: RawCopy receive OUT | RawCopy send PORT IMAGE");
            System.exit(2);
        }
    }

    /**
     * Accepts one sender, copies its stream into {@code out}, syncing in the background every
     * {@code flushEvery} bytes, syncs at the end, acknowledges with that last sync's time.
     */
    static void receive(Path out, PrintStream announce, long flushEvery) throws IOException {
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            announce.println("port " + ((InetSocketAddress) server.getLocalAddress()).getPort());
            announce.flush();
            try (ExecutorService flusher = Executors.newSingleThreadExecutor();
                 SocketChannel socket = server.accept();
                 FileChannel file = FileChannel.open(out, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                         StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer buffer = ByteBuffer.allocateDirect(CHUNK);
                long sinceFlush = 0;
                CompletableFuture<Void> flushing = CompletableFuture.completedFuture(null);
                while (socket.read(buffer) >= 0) {
                    if (!buffer.hasRemaining()) {
                        sinceFlush += drain(buffer, file);
                        if (sinceFlush >= flushEvery && flushing.isDone()) {
                            flushing.join();
                            flushing = CompletableFuture.runAsync(() -> force(file), flusher);
                            sinceFlush = 0;
                        }
                    }
                }
                drain(buffer, file);
                flushing.join();
                long syncStart = System.nanoTime();
                file.force(false);
                long syncNanos = System.nanoTime() - syncStart;
                ByteBuffer ack = ByteBuffer.allocate(Long.BYTES).putLong(0, syncNanos);
                while (ack.hasRemaining()) {
                    socket.write(ack);
                }
            }
        }
    }

    /** Writes what {@code buffer} holds; returns how many bytes. */
    private static int drain(ByteBuffer buffer, FileChannel file) throws IOException {
        buffer.flip();
        int bytes = buffer.remaining();
        while (buffer.hasRemaining()) {
            file.write(buffer);
        }
        buffer.clear();
        return bytes;
    }

    private static void force(FileChannel file) {
        try {
            file.force(false);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Sends {@code image} to a receiver on loopback {@code port}; returns bytes, total_ms and sync_ms. */
    static SequencedMap<String, Object> send(int port, Path image) throws IOException {
        try (FileChannel file = FileChannel.open(image, StandardOpenOption.READ)) {
            ByteBuffer buffer = ByteBuffer.allocateDirect(CHUNK);
            long start = System.nanoTime();
            try (SocketChannel socket = SocketChannel.open(new InetSocketAddress(InetAddress.getLoopbackAddress(), port))) {
                long bytes = 0;
                int n;
                while ((n = file.read(buffer.clear())) > 0) {
                    bytes += n;
                    buffer.flip();
                    while (buffer.hasRemaining()) {
                        socket.write(buffer);
                    }
                }
                socket.shutdownOutput();
                ByteBuffer ack = ByteBuffer.allocate(Long.BYTES);
                while (ack.hasRemaining()) {
                    if (socket.read(ack) < 0) {
                        throw new IOException("the receiver closed before acknowledging " + bytes + " bytes of " + image);
                    }
                }
                long totalNanos = System.nanoTime() - start;
                SequencedMap<String, Object> result = new LinkedHashMap<>();
                result.put("bytes", bytes);
                result.put("total_ms", totalNanos / 1e6);
                result.put("sync_ms", ack.getLong(0) / 1e6);
                return result;
            }
        }
    }
}
