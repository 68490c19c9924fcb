package dev.ferry.savevm;

/**
 * Waiting for a helper thread on a path that must not give up: closing, the switch. The driver's
 * return-path threads and the live sections' own helpers (a block section's flush and read-back)
 * use it.
 */
public final class Joins {

    private Joins() {
    }

    /**
     * Waits until {@code thread} (if any) ended; an interrupt meanwhile is kept for the caller.
     *
     * @param thread the thread, or null
     */
    public static void uninterruptibly(Thread thread) {
        boolean interrupted = false;
        while (thread != null && thread.isAlive()) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
