package dev.ferry.savevm.stream;

/** Waiting for a helper thread of either end of the stream (the return path's) on a path that must not give up. */
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
