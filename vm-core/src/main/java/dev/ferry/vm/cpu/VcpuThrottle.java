package dev.ferry.vm.cpu;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Auto-converge: slows a guest that dirties memory faster than a migration can copy it by holding
 * its vCPUs parked for a share of every {@value #PERIOD_MS} ms. The share starts at
 * {@value #INITIAL_PERCENT}% and grows by {@value #STEP_PERCENT} points per level, up to
 * {@value #MAX_PERCENT}%, as QEMU's cpu-throttle does.
 */
public final class VcpuThrottle implements AutoCloseable {

    static final int PERIOD_MS = 100;
    static final int INITIAL_PERCENT = 20;
    static final int STEP_PERCENT = 10;
    static final int MAX_PERCENT = 99;

    private static final Logger LOG = LoggerFactory.getLogger(VcpuThrottle.class);

    private final RunGate gate;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private int percent;
    private Thread worker;
    private boolean closed;

    public VcpuThrottle(RunGate gate) {
        this.gate = gate;
    }

    /** The share of time the vCPUs are parked for {@code level} (0 = no throttle). */
    public static int percentFor(int level) {
        return level <= 0 ? 0 : Math.min(MAX_PERCENT, INITIAL_PERCENT + (level - 1) * STEP_PERCENT);
    }

    /** Sets the throttle level; 0 lets the vCPUs run freely again. */
    public void setLevel(int level) {
        lock.lock();
        try {
            int next = percentFor(level);
            if (next != percent) {
                LOG.info("vCPU throttle {}% -> {}%", percent, next);
            }
            percent = next;
            if (percent > 0 && worker == null && !closed) {
                worker = Thread.ofPlatform().daemon().name("ferry-vcpu-throttle").start(this::run);
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** The share of each period the vCPUs are held, in percent. */
    public int percent() {
        lock.lock();
        try {
            return percent;
        } finally {
            lock.unlock();
        }
    }

    private void run() {
        try {
            while (true) {
                int share = awaitShare();
                if (share == 0) {
                    return;
                }
                sleepWhileRunning(PERIOD_MS * (100 - share) / 100);
                if (percent() != share) {
                    continue;
                }
                gate.hold(RunGate.THROTTLE);
                try {
                    TimeUnit.MILLISECONDS.sleep(PERIOD_MS * share / 100);
                } finally {
                    gate.release(RunGate.THROTTLE);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            gate.release(RunGate.THROTTLE);
        }
    }

    /** The current share, or 0 when the worker should end (and then forgets it). */
    private int awaitShare() {
        lock.lock();
        try {
            if (percent == 0 || closed) {
                worker = null;
                return 0;
            }
            return percent;
        } finally {
            lock.unlock();
        }
    }

    private void sleepWhileRunning(long millis) throws InterruptedException {
        lock.lock();
        try {
            changed.await(millis, TimeUnit.MILLISECONDS);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        Thread toJoin;
        lock.lock();
        try {
            closed = true;
            percent = 0;
            toJoin = worker;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        if (toJoin != null) {
            toJoin.interrupt();
            try {
                toJoin.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
