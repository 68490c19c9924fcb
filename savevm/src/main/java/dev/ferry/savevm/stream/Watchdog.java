package dev.ferry.savevm.stream;

import java.time.Duration;

/**
 * Runs an action (closing the channel) if not disarmed in time: the way to put a deadline on a
 * blocking channel read or write, and to unblock I/O when a cancel is not noticed soon enough
 * (the source), or when a refused source does not hang up (the destination).
 */
public final class Watchdog implements AutoCloseable {

    private final Thread timer;
    private volatile boolean disarmed;
    private volatile boolean fired;

    public Watchdog(Duration after, Runnable action) {
        timer = Thread.ofVirtual().name("savevm-watchdog").start(() -> {
            try {
                Thread.sleep(after);
            } catch (InterruptedException e) {
                return;
            }
            if (!disarmed) {
                fired = true;
                action.run();
            }
        });
    }

    /** Whether the deadline passed and the action ran. */
    public boolean fired() {
        return fired;
    }

    @Override
    public void close() {
        disarmed = true;
        timer.interrupt();
    }
}
