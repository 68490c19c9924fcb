package dev.ferry.kvm;

import dev.ferry.kvm.bindings.Ioctl;
import dev.ferry.kvm.bindings.LibC;
import java.lang.foreign.MemorySegment;

/** Checked ioctl and close: every failure becomes a {@link KvmException} naming the call. */
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
}
