package dev.ferry.savevm;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.LockSupport;

/**
 * A VM for driver tests: a guest thread dirties random pages of a {@link SyntheticRam} at a given
 * rate, slowed by 4x per throttle level if it honours throttling. Pause waits until no write is
 * under way; nothing is written while paused.
 */
final class SyntheticVm implements Pausable, AutoCloseable {

    private final SyntheticRam ram;
    private final Thread guest;
    private final Object gate = new Object();
    private final long nanosPerPage;
    private final boolean honoursThrottle;
    private volatile boolean stop;
    private boolean paused;
    private int pauses;
    private long pausedAt;
    private int resumes;

    /** Dirties {@code bytesPerSecond} (0: never). */
    SyntheticVm(SyntheticRam ram, long bytesPerSecond, boolean honoursThrottle) {
        this.ram = ram;
        this.nanosPerPage = bytesPerSecond == 0 ? 0 : (long) (SyntheticRam.PAGE * 1e9 / bytesPerSecond);
        this.honoursThrottle = honoursThrottle;
        this.guest = Thread.ofPlatform().daemon(true).name("synthetic-guest").start(this::run);
    }

    private void run() {
        if (nanosPerPage == 0) {
            return;
        }
        long deadline = System.nanoTime();
        long value = 1;
        while (!stop) {
            synchronized (gate) {
                while (paused && !stop) {
                    try {
                        gate.wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                ram.guestWrite(ThreadLocalRandom.current().nextInt(ram.pages()), value++);
            }
            int level = honoursThrottle ? Math.min(ram.throttleLevel(), 8) : 0;
            deadline += nanosPerPage << (2 * level);
            long wait = deadline - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
        }
    }

    @Override
    public void pause() {
        synchronized (gate) {
            paused = true;
            pauses++;
            pausedAt = System.nanoTime();
        }
    }

    @Override
    public void resume() {
        synchronized (gate) {
            paused = false;
            resumes++;
            gate.notifyAll();
        }
    }

    boolean paused() {
        synchronized (gate) {
            return paused;
        }
    }

    /** System.nanoTime() of the last pause, 0 if none. */
    long pausedAt() {
        synchronized (gate) {
            return pausedAt;
        }
    }

    int pauses() {
        synchronized (gate) {
            return pauses;
        }
    }

    int resumes() {
        synchronized (gate) {
            return resumes;
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop = true;
        synchronized (gate) {
            gate.notifyAll();
        }
        guest.join();
    }
}
