package dev.ferry.vm;

/** Where a machine is in its life: created → running ↔ paused → shut down or failed. */
public enum RunState {
    /** Built, vCPUs not started (a booting machine before start, or one waiting for an incoming migration). */
    CREATED,
    /** Running guest code. */
    RUNNING,
    /** Stopped by the VMM (a command, a migration's switch); {@code cont} resumes it. */
    PAUSED,
    /** Ended in order: the guest asked to stop or halted for good, or the VMM shut it down. */
    SHUTDOWN,
    /** Ended by a crash: triple fault, KVM error, guest panic. */
    FAILED;

    /**
     * Whether nothing can run any more.
     *
     * @return true for SHUTDOWN and FAILED
     */
    public boolean isFinal() {
        return this == SHUTDOWN || this == FAILED;
    }
}
