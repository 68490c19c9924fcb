package dev.ferry.transport;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/** Connected descriptor pairs for fd: tests, standing in for what a parent process would hand over. */
@SuppressWarnings("restricted")
final class TestFds {

    private static final int AF_UNIX = 1;
    private static final int SOCK_STREAM = 1;
    private static final MethodHandle SOCKETPAIR = Linker.nativeLinker().downcallHandle(
            Linker.nativeLinker().defaultLookup().findOrThrow("socketpair"),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS));

    private TestFds() {
    }

    /** A connected unix stream socket pair. */
    static int[] socketPair() throws Throwable {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fds = arena.allocate(JAVA_INT, 2);
            int rc = (int) SOCKETPAIR.invokeExact(AF_UNIX, SOCK_STREAM | LibC.O_CLOEXEC, 0, fds);
            if (rc != 0) {
                throw new IllegalStateException("socketpair failed");
            }
            return new int[] {fds.getAtIndex(JAVA_INT, 0), fds.getAtIndex(JAVA_INT, 1)};
        }
    }

    /** A pipe: [read end, write end]. */
    static int[] pipe() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fds = arena.allocate(JAVA_INT, 2);
            if (LibC.pipe2(fds, LibC.O_CLOEXEC) != 0) {
                throw new IllegalStateException("pipe2 failed");
            }
            return new int[] {fds.getAtIndex(JAVA_INT, 0), fds.getAtIndex(JAVA_INT, 1)};
        }
    }

    static boolean isOpen(int fd) {
        return LibC.fcntl(fd, LibC.F_GETFD, 0) >= 0;
    }
}
