package dev.ferry.kvm;

import dev.ferry.kvm.bindings.LibC;

/**
 * A KVM ioctl or libc call failed. The message names the call, the errno symbol and its meaning,
 * e.g. {@code KVM_SET_SREGS failed: EINVAL (Invalid argument)}, plus a hint when one is known.
 */
public final class KvmException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String operation;
    private final int errno;

    /** A failure of {@code operation} (an ioctl name such as KVM_RUN, or a libc call) with {@code errno}. */
    public KvmException(String operation, int errno) {
        this(operation, errno, "");
    }

    /** As {@link #KvmException(String, int)}, with a sentence on how to fix it appended. */
    public KvmException(String operation, int errno, String hint) {
        super(operation + " failed: " + Errno.name(errno) + " (" + LibC.strerror(errno) + ")"
                + (hint.isEmpty() ? "" : ": " + hint));
        this.operation = operation;
        this.errno = errno;
    }

    /** The ioctl or libc call that failed. */
    public String operation() {
        return operation;
    }

    /** The errno it failed with. */
    public int errno() {
        return errno;
    }
}
