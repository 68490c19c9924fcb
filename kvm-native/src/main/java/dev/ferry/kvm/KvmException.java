package dev.ferry.kvm;

import dev.ferry.kvm.bindings.LibC;

/**
 * A KVM ioctl or libc call failed. The message names the call, the errno symbol and its meaning,
 * e.g. {@code KVM_SET_SREGS failed: EINVAL (Invalid argument)}, plus a hint when one is known.
 */
public final class KvmException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** The ioctl or libc call that failed. */
    private final String operation;
    /** The errno it failed with. */
    private final int errno;

    /**
     * A failure of {@code operation} (an ioctl name such as KVM_RUN, or a libc call) with {@code errno}.
     *
     * @param operation the ioctl or libc call
     * @param errno the error number
     */
    public KvmException(String operation, int errno) {
        this(operation, errno, "");
    }

    /**
     * As {@link #KvmException(String, int)}, with a sentence on how to fix it appended.
     *
     * @param operation the ioctl or libc call
     * @param errno the error number
     * @param hint how to fix it, one sentence
     */
    public KvmException(String operation, int errno, String hint) {
        super(operation + " failed: " + Errno.name(errno) + " (" + LibC.strerror(errno) + ")"
                + (hint.isEmpty() ? "" : ": " + hint));
        this.operation = operation;
        this.errno = errno;
    }

    /**
     * The ioctl or libc call that failed.
     *
     * @return the operation's name
     */
    public String operation() {
        return operation;
    }

    /**
     * The errno it failed with.
     *
     * @return the errno
     */
    public int errno() {
        return errno;
    }
}
