package dev.ferry.transport;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedChannelException;

/**
 * A channel over a raw descriptor (an inherited {@code fd:N}, or an exec command's pipe), which
 * the JDK cannot wrap through public API.
 *
 * <p>The descriptor is made non-blocking: reads and writes go straight to the kernel, and only
 * when it would block does the thread poll the descriptor together with an eventfd that
 * {@link #abort()} and {@link #close()} signal, so a cancel unblocks it at once. The descriptor is
 * closed only after the last in-flight call has left, so a racing close never frees a number
 * another call is still using.
 */
final class FdChannel implements MigrationChannel {

    private final MigrationUri uri;
    private final int fd;
    private final int wakeFd;
    private final Object lock = new Object();
    private int inFlight;
    private boolean closed;
    private boolean released;
    private volatile boolean aborted;

    private FdChannel(MigrationUri uri, int fd, int wakeFd) {
        this.uri = uri;
        this.fd = fd;
        this.wakeFd = wakeFd;
    }

    /** Takes ownership of {@code fd}, which must be open. */
    static FdChannel open(MigrationUri uri, int fd) throws TransportException {
        requireOpen(uri, fd);
        int flags = LibC.fcntl(fd, LibC.F_GETFL, 0);
        if (flags < 0 || LibC.fcntl(fd, LibC.F_SETFL, flags | LibC.O_NONBLOCK) < 0) {
            throw new TransportException(uri, "cannot make descriptor " + fd + " non-blocking: "
                    + LibC.describe(LibC.errno()));
        }
        int wake = LibC.eventfd(0, LibC.EFD_CLOEXEC);
        if (wake < 0) {
            throw new TransportException(uri, "cannot create an eventfd: " + LibC.describe(LibC.errno()));
        }
        return new FdChannel(uri, fd, wake);
    }

    /** Fails with a message naming the URI when {@code fd} is not an open descriptor of this process. */
    static void requireOpen(MigrationUri uri, int fd) throws TransportException {
        if (LibC.fcntl(fd, LibC.F_GETFD, 0) < 0) {
            int errno = LibC.errno();
            throw new TransportException(uri, errno == LibC.EBADF
                    ? "descriptor " + fd + " is not open in this process"
                    : "cannot check descriptor " + fd + ": " + LibC.describe(errno));
        }
    }

    @Override
    public MigrationUri uri() {
        return uri;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        enter();
        try {
            if (!dst.hasRemaining()) {
                return 0;
            }
            MemorySegment target = MemorySegment.ofBuffer(dst);
            while (true) {
                long n = LibC.read(fd, target);
                if (n > 0) {
                    dst.position(dst.position() + (int) n);
                    return (int) n;
                }
                if (n == 0) {
                    return -1;
                }
                awaitOrFail(LibC.POLLIN, "read");
            }
        } finally {
            leave();
        }
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        enter();
        try {
            int total = src.remaining();
            MemorySegment source = MemorySegment.ofBuffer(src);
            long done = 0;
            while (done < total) {
                long n = LibC.write(fd, source.asSlice(done));
                if (n >= 0) {
                    done += n;
                } else {
                    awaitOrFail(LibC.POLLOUT, "write");
                }
            }
            src.position(src.position() + total);
            return total;
        } finally {
            leave();
        }
    }

    /** A socket shuts its sending side down; any other descriptor is one-way, and closing it ends its output. */
    @Override
    public void shutdownOutput() throws IOException {
        enter();
        try {
            if (LibC.shutdown(fd, LibC.SHUT_WR) == 0) {
                return;
            }
            int errno = LibC.errno();
            if (errno != LibC.ENOTSOCK) {
                throw new TransportException(uri, "shutting the output down failed: " + LibC.describe(errno));
            }
        } finally {
            leave();
        }
        close();
    }

    @Override
    public boolean isOpen() {
        synchronized (lock) {
            return !closed;
        }
    }

    @Override
    public void abort() {
        aborted = true;
        synchronized (lock) {
            if (!released) {
                signalWake();
            }
        }
    }

    @Override
    public void close() throws IOException {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            aborted = true;
            signalWake();
            if (inFlight > 0) {
                return; // the last call to leave releases the descriptors
            }
            released = true;
        }
        release();
    }

    /** After a failed call: waits when it would block, retries after EINTR, fails otherwise. */
    private void awaitOrFail(short events, String operation) throws IOException {
        int errno = LibC.errno();
        if (errno == LibC.EINTR) {
            return;
        }
        if (errno != LibC.EAGAIN) {
            throw new TransportException(uri, operation + " failed: " + LibC.describe(errno));
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pollfds = arena.allocate(2 * LibC.POLLFD_BYTES);
            pollfds.set(JAVA_INT, 0, fd);
            pollfds.set(JAVA_SHORT, 4, events);
            pollfds.set(JAVA_INT, LibC.POLLFD_BYTES, wakeFd);
            pollfds.set(JAVA_SHORT, LibC.POLLFD_BYTES + 4, LibC.POLLIN);
            while (!aborted && LibC.poll(pollfds, 2, -1) < 0 && LibC.errno() == LibC.EINTR) {
                // a signal interrupted the wait: wait again
            }
        }
        if (aborted) {
            throw new AsynchronousCloseException();
        }
    }

    private void enter() throws ClosedChannelException {
        synchronized (lock) {
            if (closed) {
                throw new ClosedChannelException();
            }
            if (aborted) {
                throw new AsynchronousCloseException();
            }
            inFlight++;
        }
    }

    private void leave() throws IOException {
        synchronized (lock) {
            inFlight--;
            if (!closed || inFlight > 0 || released) {
                return;
            }
            released = true;
        }
        release();
    }

    private void signalWake() {
        try (Arena arena = Arena.ofConfined()) {
            LibC.write(wakeFd, arena.allocateFrom(JAVA_LONG, 1L));
        }
    }

    private void release() throws TransportException {
        LibC.close(wakeFd);
        if (LibC.close(fd) < 0) {
            throw new TransportException(uri, "closing descriptor " + fd + " failed: " + LibC.describe(LibC.errno()));
        }
    }
}
