package dev.ferry.transport;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * The few libc calls behind {@code fd:} and {@code exec:} channels. Every call returns the raw
 * result; a negative result leaves the call's errno in {@link #errno()} (captured per thread).
 */
@SuppressWarnings("restricted")
final class LibC {

    static final int EINTR = 4;
    static final int EBADF = 9;
    static final int EAGAIN = 11;
    static final int EPIPE = 32;
    static final int ENOTSOCK = 88;
    /** shutdown(2): no more sending; the peer reads end of stream. */
    static final int SHUT_WR = 1;

    static final int F_GETFD = 1;
    static final int F_GETFL = 3;
    static final int F_SETFL = 4;
    static final int F_SETPIPE_SZ = 1031;
    static final int O_NONBLOCK = 0x800;
    static final int O_CLOEXEC = 0x80000;
    static final int EFD_CLOEXEC = O_CLOEXEC;

    static final short POLLIN = 0x1;
    static final short POLLOUT = 0x4;
    /** struct pollfd: int fd; short events; short revents. */
    static final long POLLFD_BYTES = 8;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final MemoryLayout STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final ThreadLocal<MemorySegment> CALL_STATE =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(STATE));

    // read/write are critical so heap buffers pass without a copy: the channels make every
    // descriptor non-blocking, so these calls never hold the GC up for long.
    private static final MethodHandle READ = critical("read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle WRITE = critical("write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle CLOSE = plain("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle FCNTL = plain("fcntl", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT),
            Linker.Option.firstVariadicArg(2));
    private static final MethodHandle POLL = plain("poll", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle EVENTFD = plain("eventfd", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle SHUTDOWN = plain("shutdown", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle PIPE2 = plain("pipe2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));

    private LibC() {
    }

    static long read(int fd, MemorySegment buffer) {
        try {
            return (long) READ.invokeExact(state(), fd, buffer, buffer.byteSize());
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static long write(int fd, MemorySegment buffer) {
        try {
            return (long) WRITE.invokeExact(state(), fd, buffer, buffer.byteSize());
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int close(int fd) {
        try {
            return (int) CLOSE.invokeExact(state(), fd);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int fcntl(int fd, int command, int argument) {
        try {
            return (int) FCNTL.invokeExact(state(), fd, command, argument);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int poll(MemorySegment pollfds, long count, int timeoutMillis) {
        try {
            return (int) POLL.invokeExact(state(), pollfds, count, timeoutMillis);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int eventfd(int initial, int flags) {
        try {
            return (int) EVENTFD.invokeExact(state(), initial, flags);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int shutdown(int fd, int how) {
        try {
            return (int) SHUTDOWN.invokeExact(state(), fd, how);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** pipe2 into {@code fds} (two ints: read end, write end). */
    static int pipe2(MemorySegment fds, int flags) {
        try {
            return (int) PIPE2.invokeExact(state(), fds, flags);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** The errno left by this thread's last failing call here. */
    static int errno() {
        return (int) ERRNO.get(CALL_STATE.get(), 0L);
    }

    /** A readable name for the errno values a transport meets. */
    static String describe(int errno) {
        return switch (errno) {
            case EBADF -> "EBADF (bad file descriptor)";
            case EPIPE -> "EPIPE (the other side closed the pipe or socket)";
            case 104 -> "ECONNRESET (connection reset by peer)";
            case 5 -> "EIO (input/output error)";
            case 28 -> "ENOSPC (no space left on device)";
            case 22 -> "EINVAL (invalid argument)";
            case 21 -> "EISDIR (is a directory)";
            default -> "errno " + errno;
        };
    }

    private static MemorySegment state() {
        return CALL_STATE.get();
    }

    private static MethodHandle critical(String name, FunctionDescriptor descriptor) {
        return plain(name, descriptor, Linker.Option.critical(true));
    }

    private static MethodHandle plain(String name, FunctionDescriptor descriptor, Linker.Option... extra) {
        Linker.Option[] options = new Linker.Option[extra.length + 1];
        options[0] = Linker.Option.captureCallState("errno");
        System.arraycopy(extra, 0, options, 1, extra.length);
        return LINKER.downcallHandle(LINKER.defaultLookup().findOrThrow(name), descriptor, options);
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw new IllegalStateException(t);
    }
}
