package dev.ferry.blockmig;

/** Waiting for a helper thread on a path that must not give up (closing, the switch). */
final class Joins {

    private Joins() {
    }

    /** Waits until {@code thread} (if any) ended; an interrupt meanwhile is kept for the caller. */
    static void uninterruptibly(Thread thread) {
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
