package dev.ferry.vm.cpu;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Where vCPU threads stop between exits. A controller {@link #hold holds} the gate for a reason
 * (a pause, the migration throttle); every vCPU thread then parks at its next
 * {@link #checkpoint}, and {@link #hold} returns once all of them have. The vCPUs run again when
 * no reason holds the gate any more.
 *
 * <p>Lost wake-ups are avoided by the order of events: a vCPU thread clears its kick, then checks
 * the gate, then enters the guest; a controller sets its hold, then kicks. Whatever the
 * interleaving, the vCPU either sees the hold or enters the guest with the kick pending (and
 * comes straight back out).
 */
public final class RunGate {

    /** A hold that stands for as long as the machine is paused. */
    public static final int PAUSE = 1;
    /** A hold the auto-converge throttle takes for part of every period. */
    public static final int THROTTLE = 2;
    /** A hold that stands from a machine's build until its start: its vCPU threads, started with it, wait here. */
    public static final int START = 4;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final List<Runnable> kickers = new ArrayList<>();
    private int holds;
    private int parked;
    private boolean closed;
    /**
     * A {@link #wake} no {@link #rest} has taken yet: one that comes after the guest looked for a
     * command but before its vCPU thread began to rest still ends that rest at once.
     */
    private boolean woken;

    /**
     * A gate held for {@link #START}, for vCPU threads started before their machine runs.
     *
     * @return the gate, held
     */
    public static RunGate heldForStart() {
        RunGate gate = new RunGate();
        gate.holds = START;
        return gate;
    }

    /** Adds a vCPU thread's kick (makes it leave the guest promptly); call before it starts. */
    public void join(Runnable kick) {
        lock.lock();
        try {
            kickers.add(kick);
        } finally {
            lock.unlock();
        }
    }

    /** A vCPU thread that ends stops counting towards {@link #hold}. */
    public void leave(Runnable kick) {
        lock.lock();
        try {
            kickers.remove(kick);
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Holds the gate for {@code reason} and waits until every vCPU thread is parked (or gone).
     *
     * @throws InterruptedException if the waiting thread is interrupted; the hold stays
     */
    public void hold(int reason) throws InterruptedException {
        lock.lock();
        try {
            holds |= reason;
            kickers.forEach(Runnable::run);
            changed.signalAll(); // a resting vCPU comes back to its checkpoint
            while (parked < kickers.size() && !closed) {
                changed.await();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Drops the hold for {@code reason}; the vCPUs run when no hold is left. */
    public void release(int reason) {
        lock.lock();
        try {
            holds &= ~reason;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    public boolean held(int reason) {
        lock.lock();
        try {
            return (holds & reason) != 0;
        } finally {
            lock.unlock();
        }
    }

    /** What a vCPU thread does after a {@link #checkpoint}. */
    public enum Pass {
        /** Enter the guest. */
        RUN,
        /** Re-enter KVM once with the kick set, so it completes the last exit; then check again. */
        COMPLETE_EXIT,
        /** The gate is closed: leave the loop. */
        STOP
    }

    /**
     * vCPU side, between exits: parks while the gate is held, leaves once it is closed. A vCPU whose
     * last exit KVM has not completed yet ({@code exitPending}: port or MMIO access) is told to
     * complete it first, so a parked or ended vCPU's state is always consistent: a snapshot never
     * holds a RIP still at the I/O instruction, which a restore would execute again.
     */
    public Pass checkpoint(boolean exitPending) {
        lock.lock();
        try {
            if (exitPending && (holds != 0 || closed)) {
                return Pass.COMPLETE_EXIT;
            }
            if (holds != 0 && !closed) {
                parked++;
                changed.signalAll();
                try {
                    while (holds != 0 && !closed) {
                        changed.awaitUninterruptibly();
                    }
                } finally {
                    parked--;
                }
            }
            return closed ? Pass.STOP : Pass.RUN;
        } finally {
            lock.unlock();
        }
    }

    /**
     * vCPU side: a vCPU halted with nothing that can wake it (no interrupt source) counts as
     * parked until the gate closes.
     */
    public void idle() {
        lock.lock();
        try {
            parked++;
            changed.signalAll();
            try {
                while (!closed) {
                    changed.awaitUninterruptibly();
                }
            } finally {
                parked--;
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * vCPU side, inside an exit: the guest has nothing to do for {@code nanos}, so its thread waits
     * here rather than the guest spinning on a host CPU. The wait ends early when the gate is held
     * or closed, or on a {@link #wake} (one since the last rest included); the thread then
     * finishes the exit as usual. One vCPU rests at a time (the built-in guest runs on one).
     *
     * @param nanos the longest wait
     */
    public void rest(long nanos) {
        lock.lock();
        try {
            long left = nanos;
            while (left > 0 && holds == 0 && !closed && !woken) {
                left = changed.awaitNanos(left);
            }
            woken = false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            lock.unlock();
        }
    }

    /** Ends the {@link #rest} under way, or the next one: the guest has something new to see (a command, say). */
    public void wake() {
        lock.lock();
        try {
            woken = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Ends the run: parked vCPUs wake, running ones are kicked, and all leave their loops. */
    public void close() {
        lock.lock();
        try {
            closed = true;
            kickers.forEach(Runnable::run);
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    public boolean closed() {
        lock.lock();
        try {
            return closed;
        } finally {
            lock.unlock();
        }
    }
}
