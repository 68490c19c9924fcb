package dev.ferry.transport;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** A cancel from another thread must unblock a read or write that would otherwise wait forever. */
@ExtendWith(NoChildProcessLeft.class)
class TransportCancelTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @TempDir
    Path dir;


    @Test
    void abortUnblocksTcpRead() throws Exception {
        try (MigrationListener listener = Transports.listen("tcp:127.0.0.1:0");
                MigrationChannel out = Transports.connect(listener.boundUri(), TIMEOUT);
                MigrationChannel in = listener.accept(TIMEOUT)) {
            unblocks(in, TransportCancelTest::readOnce, MigrationChannel::abort);
        }
    }

    @Test
    void abortUnblocksUnixWrite() throws Exception {
        MigrationUri uri = new MigrationUri.Unix(dir.resolve("c.sock"));
        try (MigrationListener listener = Transports.listen(uri);
                MigrationChannel out = Transports.connect(uri, TIMEOUT);
                MigrationChannel in = listener.accept(TIMEOUT)) {
            unblocks(out, TransportCancelTest::writeForever, MigrationChannel::abort);
        }
    }

    @Test
    void abortAndCloseUnblockFdReadAndWrite() throws Throwable {
        int[] pair = TestFds.socketPair();
        try (MigrationChannel a = Transports.connect("fd:" + pair[0], TIMEOUT);
                MigrationChannel b = Transports.connect("fd:" + pair[1], TIMEOUT)) {
            unblocks(a, TransportCancelTest::readOnce, MigrationChannel::abort);
            unblocks(b, TransportCancelTest::writeForever, channel -> close(channel));
        }
        assertTrue(!TestFds.isOpen(pair[0]) && !TestFds.isOpen(pair[1]), "descriptors left open");
    }

    @Test
    void abortKillsAnExecCommandAndUnblocksItsRead() throws Exception {
        try (MigrationListener listener = Transports.listen("exec:sleep 600");
                MigrationChannel in = listener.accept(TIMEOUT)) {
            unblocks(in, TransportCancelTest::readOnce, MigrationChannel::abort);
        }
    }

    @Test
    void abortKillsAnExecCommandThatStoppedReading() throws Exception {
        try (MigrationChannel out = Transports.connect("exec:sleep 600 & wait", TIMEOUT)) {
            unblocks(out, TransportCancelTest::writeForever, MigrationChannel::abort);
        }
    }

    @Test
    void closingAListenerUnblocksAccept() throws Exception {
        MigrationListener listener = Transports.listen("tcp:127.0.0.1:0");
        CompletableFuture<Void> accept = CompletableFuture.runAsync(() -> {
            try {
                listener.accept(Duration.ofMinutes(10)).close();
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        Thread.sleep(200);
        listener.close();
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> accept.get(5, TimeUnit.SECONDS));
        assertTrue(e.getCause().getCause().getMessage().endsWith("listener closed before a connection arrived"),
                e.getCause().getCause().getMessage());
    }

    /** Runs {@code blocking} on another thread, lets it block, cancels, and expects a prompt async-close failure. */
    private static void unblocks(MigrationChannel channel, Blocking blocking, Consumer<MigrationChannel> cancel)
            throws Exception {
        CompletableFuture<Throwable> outcome = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try {
                blocking.run(channel);
                outcome.complete(null);
            } catch (Throwable t) {
                outcome.complete(t);
            }
        });
        Thread.sleep(300);
        assertTrue(!outcome.isDone(), () -> "did not block: " + outcome.getNow(null));
        long start = System.nanoTime();
        cancel.accept(channel);
        Throwable failure = outcome.get(5, TimeUnit.SECONDS);
        assertInstanceOf(AsynchronousCloseException.class, failure);
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(2), "cancel was not prompt");
    }

    private static void readOnce(MigrationChannel channel) throws Exception {
        channel.read(ByteBuffer.allocateDirect(4096));
    }

    private static void writeForever(MigrationChannel channel) throws Exception {
        ByteBuffer chunk = ByteBuffer.allocateDirect(1 << 20);
        while (true) {
            channel.write(chunk.clear());
        }
    }

    private static void close(MigrationChannel channel) {
        try {
            channel.close();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @FunctionalInterface
    private interface Blocking {
        void run(MigrationChannel channel) throws Exception;
    }
}
