package dev.ferry.kvm;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.ferry.kvm.bindings.LibC;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A Linux eventfd: a counter one side adds to and the other drains. KVM signals one on a guest
 * write to an ioeventfd address ({@link Vm#assignIoeventfd}) and injects an interrupt when one
 * bound with {@link Vm#assignIrqfd} is signalled.
 */
public final class EventFd implements AutoCloseable {

    private final int fd;
    private final boolean nonBlocking;
    private boolean closed;

    private EventFd(int fd, boolean nonBlocking) {
        this.fd = fd;
        this.nonBlocking = nonBlocking;
    }

    /**
     * A new eventfd, counter 0; {@code nonBlocking} makes {@link #read()} return 0 instead of waiting.
     *
     * @param nonBlocking whether reads return 0 instead of blocking
     * @return the eventfd; close it when done
     */
    public static EventFd create(boolean nonBlocking) {
        int flags = LibC.EFD_CLOEXEC | (nonBlocking ? LibC.EFD_NONBLOCK : 0);
        return new EventFd(Sys.check(LibC.eventfd(0, flags), "eventfd"), nonBlocking);
    }

    /**
     * The file descriptor, for KVM.
     *
     * @return the fd number
     */
    public int fd() {
        return fd;
    }

    /**
     * Adds {@code value} (> 0) to the counter, waking a reader.
     *
     * @param value a positive amount
     */
    public void signal(long value) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(JAVA_LONG);
            buffer.set(JAVA_LONG, 0, value);
            if (LibC.write(fd, buffer, Long.BYTES) != Long.BYTES) {
                throw new KvmException("write(eventfd)", LibC.errno());
            }
        }
    }

    /**
     * Returns the counter and resets it to 0; 0 when non-blocking and nothing was signalled.
     *
     * @return the counter before the reset
     */
    public long read() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(JAVA_LONG);
            if (LibC.read(fd, buffer, Long.BYTES) != Long.BYTES) {
                int errno = LibC.errno();
                if (nonBlocking && errno == LibC.EAGAIN) {
                    return 0;
                }
                throw new KvmException("read(eventfd)", errno);
            }
            return buffer.get(JAVA_LONG, 0);
        }
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            Sys.close(fd, "eventfd");
        }
    }
}
