package dev.ferry.transport;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.io.File;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The stream to or from {@code /bin/sh -c COMMAND}: outgoing bytes go to its stdin, incoming bytes
 * come from its stdout. The data pipe is our own (pipe2) and handed to the child through
 * {@code /proc/self/fd}, so reads and writes go to the kernel straight from the caller's buffer
 * (the JDK's process streams would add a copy). The child's diagnostics are kept for error messages.
 */
final class ExecChannel implements MigrationChannel {

    private static final Logger LOG = LoggerFactory.getLogger(ExecChannel.class);
    private static final int PIPE_BYTES = 1 << 20;
    private static final long EXIT_GRACE_SECONDS = 5;

    private final MigrationUri.Exec uri;
    private final Process process;
    private final FdChannel pipe;
    private final OutputTail diagnostics;
    /** We write the command's stdin (a source), rather than read its stdout. */
    private final boolean outgoing;
    private volatile boolean aborted;

    private ExecChannel(MigrationUri.Exec uri, Process process, FdChannel pipe, OutputTail diagnostics, boolean outgoing) {
        this.uri = uri;
        this.process = process;
        this.pipe = pipe;
        this.diagnostics = diagnostics;
        this.outgoing = outgoing;
    }

    /** Starts the command; {@code outgoing} means we write its stdin, otherwise we read its stdout. */
    static ExecChannel start(MigrationUri.Exec uri, boolean outgoing) throws TransportException {
        int[] ends = pipe(uri);
        int ours = outgoing ? ends[1] : ends[0];
        int childs = outgoing ? ends[0] : ends[1];
        LibC.fcntl(ours, LibC.F_SETPIPE_SZ, PIPE_BYTES); // best effort: fewer wake-ups per MiB
        File childEnd = new File("/proc/self/fd/" + childs);
        ProcessBuilder builder = new ProcessBuilder("/bin/sh", "-c", uri.command());
        if (outgoing) {
            builder.redirectInput(ProcessBuilder.Redirect.from(childEnd)).redirectErrorStream(true);
        } else {
            builder.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(childEnd));
        }
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            LibC.close(ours);
            throw new TransportException(uri, "cannot start the command: " + e.getMessage(), e);
        } finally {
            LibC.close(childs); // the child holds its own copy; ours would hide its EOF or EPIPE
        }
        LOG.debug("{}: started pid {} ({})", uri, process.pid(), outgoing ? "writing its stdin" : "reading its stdout");
        OutputTail diagnostics = OutputTail.start(outgoing ? process.getInputStream() : process.getErrorStream());
        try {
            return new ExecChannel(uri, process, FdChannel.open(uri, ours), diagnostics, outgoing);
        } catch (TransportException e) {
            kill(process);
            throw e;
        }
    }

    @Override
    public MigrationUri uri() {
        return uri;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        int n = pipe.read(dst);
        if (n < 0) {
            // The command closed its stdout: a failure now is the explanation the reader needs.
            awaitExit(EXIT_GRACE_SECONDS);
            if (!process.isAlive() && process.exitValue() != 0) {
                throw exitFailure(null);
            }
        }
        return n;
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        try {
            return pipe.write(src);
        } catch (AsynchronousCloseException e) {
            throw e;
        } catch (IOException e) {
            awaitExit(EXIT_GRACE_SECONDS);
            if (process.isAlive()) {
                throw e;
            }
            throw exitFailure(e);
        }
    }

    /** Closes the command's stdin, which it reads to its end; {@link #close()} then waits for it. Reading, there is no output. */
    @Override
    public void shutdownOutput() throws IOException {
        if (outgoing) {
            pipe.close();
        }
    }

    @Override
    public boolean isOpen() {
        return pipe.isOpen();
    }

    @Override
    public void abort() {
        aborted = true;
        pipe.abort();
        kill(process);
    }

    /** Closes our end (the command sees EOF), waits for the command and reports a non-zero exit. */
    @Override
    public void close() throws IOException {
        try {
            pipe.close();
        } finally {
            awaitExit(Long.MAX_VALUE);
        }
        if (!aborted && process.exitValue() != 0) {
            throw exitFailure(null);
        }
    }

    private TransportException exitFailure(IOException cause) {
        String output = diagnostics.text();
        return new TransportException(uri, "command exited with status " + process.exitValue()
                + (output.isEmpty() ? " and printed nothing" : ": " + output), cause);
    }

    private void awaitExit(long seconds) throws IOException {
        try {
            process.waitFor(seconds, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            abort();
            throw new TransportException(uri, "interrupted while waiting for the command to exit", e);
        }
    }

    /** Kills the command and whatever it started; the JDK reaps the child itself. */
    private static void kill(Process process) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }

    private static int[] pipe(MigrationUri uri) throws TransportException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fds = arena.allocate(JAVA_INT, 2);
            if (LibC.pipe2(fds, LibC.O_CLOEXEC) < 0) {
                throw new TransportException(uri, "cannot create a pipe: " + LibC.describe(LibC.errno()));
            }
            return new int[] {fds.getAtIndex(JAVA_INT, 0), fds.getAtIndex(JAVA_INT, 1)};
        }
    }
}
