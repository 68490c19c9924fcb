package dev.ferry.jmh;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import dev.ferry.transport.Transports;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Is the transport ever the bottleneck? One timed shot moves 1 GiB in 1 MiB direct buffers from
 * this thread to a draining thread (or, for exec, a child process) over one transport, including
 * the close that delivers end-of-stream and, for exec, reaps the child. {@code java-socket} is the
 * reference: a plain java.net.Socket copy with 1 MiB byte arrays. GiB/s = 1 / (seconds per shot).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 8)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class TransportJmhBenchmark {

    private static final long BYTES = 1L << 30;
    private static final int CHUNK = 1 << 20;
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @Param({"tcp", "unix", "fd", "exec-out", "exec-in", "java-socket"})
    String transport;

    private Path dir;
    private WritableByteChannel sender;
    private ReadableByteChannel receiver;
    private CompletableFuture<Long> drained;
    private ByteBuffer chunk;

    @Setup(Level.Iteration)
    public void connect() throws Throwable {
        dir = Files.createTempDirectory("ferry-transport-bench");
        chunk = ByteBuffer.allocateDirect(CHUNK);
        sender = null;
        receiver = null;
        switch (transport) {
            case "tcp" -> pair("tcp:127.0.0.1:0");
            case "unix" -> pair("unix:" + dir.resolve("bench.sock"));
            case "fd" -> {
                int[] fds = socketPair();
                sender = Transports.connect("fd:" + fds[0], TIMEOUT);
                receiver = Transports.listen("fd:" + fds[1]).accept(TIMEOUT);
            }
            case "exec-out" -> sender = Transports.connect("exec:cat > /dev/null", TIMEOUT);
            // dd, not head: head writes 8 KiB at a time and would measure itself.
            case "exec-in" -> receiver = Transports.listen("exec:dd if=/dev/zero bs=1M count=" + (BYTES / CHUNK)
                    + " status=none").accept(TIMEOUT);
            case "java-socket" -> javaSocketPair();
            default -> throw new IllegalArgumentException(transport);
        }
        ReadableByteChannel source = receiver;
        drained = source == null ? null : ChannelPair.drain(source, CHUNK);
    }

    @Benchmark
    public long moveOneGiB() throws Exception {
        if (sender != null) {
            for (long sent = 0; sent < BYTES; sent += CHUNK) {
                sender.write(chunk.clear());
            }
            sender.close();
        }
        long received = drained == null ? BYTES : drained.get();
        if (received != BYTES) {
            throw new IllegalStateException(transport + ": received " + received + " of " + BYTES + " bytes");
        }
        return received;
    }

    @TearDown(Level.Iteration)
    public void close() throws IOException {
        if (receiver != null) {
            receiver.close();
        }
        try (var files = Files.list(dir)) {
            for (Path p : files.toList()) {
                Files.delete(p);
            }
        }
        Files.delete(dir);
    }

    private void pair(String uri) throws IOException {
        ChannelPair pair = ChannelPair.open(uri, TIMEOUT);
        sender = pair.sender();
        receiver = pair.receiver();
    }

    /** The reference: blocking java.net sockets moving 1 MiB heap arrays through their streams. */
    private void javaSocketPair() throws IOException {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Socket out = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
            Socket in = server.accept();
            OutputStream stream = out.getOutputStream();
            InputStream input = in.getInputStream();
            byte[] array = new byte[CHUNK];
            sender = new WritableByteChannel() {
                public int write(ByteBuffer src) throws IOException {
                    int n = src.remaining();
                    stream.write(array, 0, n);
                    src.position(src.limit());
                    return n;
                }

                public boolean isOpen() {
                    return !out.isClosed();
                }

                public void close() throws IOException {
                    out.close();
                }
            };
            byte[] sink = new byte[CHUNK];
            receiver = new ReadableByteChannel() {
                public int read(ByteBuffer dst) throws IOException {
                    return input.read(sink, 0, Math.min(sink.length, dst.remaining()));
                }

                public boolean isOpen() {
                    return !in.isClosed();
                }

                public void close() throws IOException {
                    in.close();
                }
            };
        }
    }

    @SuppressWarnings("restricted")
    private static int[] socketPair() throws Throwable {
        Linker linker = Linker.nativeLinker();
        MethodHandle socketpair = linker.downcallHandle(linker.defaultLookup().findOrThrow("socketpair"),
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fds = arena.allocate(JAVA_INT, 2);
            int afUnix = 1;
            int sockStream = 1;
            if ((int) socketpair.invokeExact(afUnix, sockStream, 0, fds) != 0) {
                throw new IllegalStateException("socketpair failed");
            }
            return new int[] {fds.getAtIndex(JAVA_INT, 0), fds.getAtIndex(JAVA_INT, 1)};
        }
    }
}
