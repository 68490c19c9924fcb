package dev.ferry.monitor.hmp;

/**
 * Told of a VM's changes as they happen, in order, on the thread that made them (a monitor's, the
 * migration's): it must not block, so a listener that writes to a client queues instead.
 */
public interface VmListener {

    /** The run state went from {@code from} to {@code to} (never called with both equal). */
    void runStateChanged(RunState from, RunState to);

    /** The migration (outgoing, or incoming on a destination) entered {@code status}, QEMU's word for it. */
    void migrationStatusChanged(String status);
}
