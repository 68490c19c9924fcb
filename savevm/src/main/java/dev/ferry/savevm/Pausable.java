package dev.ferry.savevm;

/**
 * Something that can be stopped and restarted as a whole: the VM being migrated. The source
 * driver pauses it only at the switch, once the remaining state fits the downtime limit, and
 * resumes it if anything fails before the destination confirmed. Failures are unchecked: a VM
 * that cannot pause is a bug in the VM, not a property of the stream.
 */
public interface Pausable {

    /** For a source where nothing runs beside the copy (disks nobody writes to, RAM no vCPU writes): pausing and resuming do nothing. */
    Pausable NOTHING_TO_PAUSE = new Pausable() {
        @Override
        public void pause() {
        }

        @Override
        public void resume() {
        }
    };

    /** Stops every vCPU and device; returns once no guest state changes any more. */
    void pause();

    /** Lets the VM run again after {@link #pause}. */
    void resume();
}
