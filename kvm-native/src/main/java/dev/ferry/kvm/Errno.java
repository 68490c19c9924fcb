package dev.ferry.kvm;

import java.util.Map;

/** Symbolic names of the errno values KVM and the libc calls here return (x86-64 Linux numbers). */
final class Errno {

    /** Invalid argument: also KVM's answer for a request that does not apply to the current state. */
    static final int EINVAL = 22;

    private static final Map<Integer, String> NAMES = Map.ofEntries(
            Map.entry(1, "EPERM"), Map.entry(2, "ENOENT"), Map.entry(4, "EINTR"), Map.entry(5, "EIO"),
            Map.entry(6, "ENXIO"), Map.entry(7, "E2BIG"), Map.entry(9, "EBADF"), Map.entry(11, "EAGAIN"),
            Map.entry(12, "ENOMEM"), Map.entry(13, "EACCES"), Map.entry(14, "EFAULT"), Map.entry(16, "EBUSY"),
            Map.entry(17, "EEXIST"), Map.entry(19, "ENODEV"), Map.entry(22, "EINVAL"), Map.entry(24, "EMFILE"),
            Map.entry(25, "ENOTTY"), Map.entry(28, "ENOSPC"), Map.entry(34, "ERANGE"), Map.entry(38, "ENOSYS"),
            Map.entry(95, "EOPNOTSUPP"));

    private Errno() {
    }

    static String name(int errno) {
        return NAMES.getOrDefault(errno, "errno " + errno);
    }
}
