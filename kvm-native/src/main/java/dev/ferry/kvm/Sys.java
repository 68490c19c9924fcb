package dev.ferry.kvm;

import dev.ferry.kvm.bindings.Ioctl;
import dev.ferry.kvm.bindings.LibC;
import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Checked ioctl and close: every failure becomes a {@link KvmException} naming the call. The
 * struct helpers allocate the argument in a confined arena freed when the call returns.
 */
final class Sys {

    private Sys() {
    }

    static int ioctl(int fd, Ioctl ioctl, MemorySegment arg) {
        return check(LibC.ioctl(fd, ioctl.request(), arg), ioctl.name());
    }

    static int ioctl(int fd, Ioctl ioctl, long arg) {
        return check(LibC.ioctl(fd, ioctl.request(), arg), ioctl.name());
    }

    static int check(int result, String operation) {
        if (result < 0) {
            throw new KvmException(operation, LibC.errno());
        }
        return result;
    }

    /** Closes {@code fd}; a failed close is reported, since an fd leak would go unnoticed. */
    static void close(int fd, String what) {
        if (LibC.close(fd) < 0) {
            throw new KvmException("close(" + what + ")", LibC.errno());
        }
    }

    /** Fills a zeroed {@code layout} with {@code fill}, calls {@code ioctl} with it, decodes the result. */
    static <T> T call(int fd, Ioctl ioctl, MemoryLayout layout, Consumer<MemorySegment> fill,
                      Function<MemorySegment, T> result) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment struct = arena.allocate(layout);
            fill.accept(struct);
            ioctl(fd, ioctl, struct);
            return result.apply(struct);
        }
    }

    /** An ioctl that fills a {@code layout} struct, decoded by {@code result}. */
    static <T> T read(int fd, Ioctl ioctl, MemoryLayout layout, Function<MemorySegment, T> result) {
        return call(fd, ioctl, layout, struct -> { }, result);
    }

    /** An ioctl that takes a {@code layout} struct filled by {@code fill}. */
    static void write(int fd, Ioctl ioctl, MemoryLayout layout, Consumer<MemorySegment> fill) {
        call(fd, ioctl, layout, fill, struct -> null);
    }

    /** An ioctl that fills a {@code size}-byte struct, kept raw. */
    static StructBytes readBytes(int fd, Ioctl ioctl, long size) {
        return read(fd, ioctl, bytes(size), StructBytes::copyOf);
    }

    /** An ioctl that takes a struct of at least {@code size} bytes, given raw. */
    static void writeBytes(int fd, Ioctl ioctl, long size, StructBytes raw, String what) {
        if (raw.size() < size) {
            throw new IllegalArgumentException(what + " holds " + raw.size() + " bytes, " + ioctl.name() + " takes " + size);
        }
        write(fd, ioctl, bytes(raw.size()), struct -> MemorySegment.copy(raw.segment(), 0, struct, 0, raw.size()));
    }

    private static MemoryLayout bytes(long size) {
        return MemoryLayout.sequenceLayout(size, ValueLayout.JAVA_BYTE).withByteAlignment(Long.BYTES);
    }
}
