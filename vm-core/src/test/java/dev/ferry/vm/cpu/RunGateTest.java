package dev.ferry.vm.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/** The gate with plain threads standing in for vCPU threads: "kick" wakes a parked spinner. */
class RunGateTest {

    /** A thread that "runs the guest" (counts) between checkpoints until the gate closes. */
    private static final class Spinner {
        final AtomicLong work = new AtomicLong();
        final AtomicLong completions = new AtomicLong();
        final Thread thread;

        Spinner(RunGate gate) {
            Runnable kick = () -> LockSupport.unpark(threadOf(this));
            gate.join(kick);
            thread = Thread.ofPlatform().unstarted(() -> {
                boolean pending = false;
                for (RunGate.Pass pass = gate.checkpoint(pending); pass != RunGate.Pass.STOP; pass = gate.checkpoint(pending)) {
                    if (pass == RunGate.Pass.COMPLETE_EXIT) {
                        completions.incrementAndGet();
                    } else {
                        work.incrementAndGet();
                        LockSupport.parkNanos(50_000);
                    }
                    pending = pass == RunGate.Pass.RUN;
                }
                gate.leave(kick);
            });
            thread.start();
        }

        private static Thread threadOf(Spinner spinner) {
            return spinner.thread;
        }
    }

    @Test
    void holdReturnsOnlyWhenEveryThreadIsParkedAndReleaseLetsThemRun() throws Exception {
        RunGate gate = new RunGate();
        Spinner a = new Spinner(gate);
        Spinner b = new Spinner(gate);
        awaitProgress(a);
        awaitProgress(b);

        gate.hold(RunGate.PAUSE);
        long workA = a.work.get();
        long workB = b.work.get();
        Thread.sleep(50);
        assertEquals(workA, a.work.get(), "a parked vCPU does no work");
        assertEquals(workB, b.work.get());
        assertEquals(1, a.completions.get(), "the pending exit is completed once before parking");

        gate.hold(RunGate.THROTTLE);
        gate.release(RunGate.PAUSE);
        Thread.sleep(20);
        assertEquals(workA, a.work.get(), "still held by the throttle");
        gate.release(RunGate.THROTTLE);
        awaitProgress(a);
        assertTrue(a.work.get() > workA);

        gate.close();
        a.thread.join(5000);
        b.thread.join(5000);
        assertFalse(a.thread.isAlive());
        assertFalse(b.thread.isAlive());
        assertTrue(gate.closed());
    }

    @Test
    void aGateHeldForStartKeepsThreadsStartedEarlyOutOfTheGuestUntilReleased() throws Exception {
        RunGate gate = RunGate.heldForStart();
        assertTrue(gate.held(RunGate.START));
        Spinner a = new Spinner(gate);
        gate.hold(RunGate.PAUSE); // returns once the early thread waits at the gate
        Thread.sleep(50);
        assertEquals(0, a.work.get(), "a thread started before its machine never enters the guest");
        gate.release(RunGate.START);
        Thread.sleep(20);
        assertEquals(0, a.work.get(), "the start alone does not override another hold");
        gate.release(RunGate.PAUSE);
        awaitProgress(a);

        gate.close();
        a.thread.join(5000);
        assertFalse(a.thread.isAlive());
    }

    @Test
    void aGateHeldForStartLetsItsThreadsLeaveWhenClosedUnstarted() throws Exception {
        RunGate gate = RunGate.heldForStart();
        Spinner a = new Spinner(gate);
        gate.close();
        a.thread.join(5000);
        assertFalse(a.thread.isAlive(), "a machine closed before its start ends its vCPU threads");
        assertEquals(0, a.work.get());
    }

    @Test
    void aClosedGateHasThePendingExitCompletedBeforeTheVcpuLeaves() {
        RunGate gate = new RunGate();
        gate.close();
        assertEquals(RunGate.Pass.COMPLETE_EXIT, gate.checkpoint(true), "an ended machine's last I/O is completed in KVM");
        assertEquals(RunGate.Pass.STOP, gate.checkpoint(false));
    }

    @Test
    void holdIsNotBlockedByAThreadThatLeft() throws Exception {
        RunGate gate = new RunGate();
        Spinner a = new Spinner(gate);
        awaitProgress(a);
        gate.close();
        a.thread.join(5000);
        CountDownLatch held = new CountDownLatch(1);
        Thread.ofPlatform().start(() -> {
            try {
                gate.hold(RunGate.PAUSE);
                held.countDown();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertTrue(held.await(5, TimeUnit.SECONDS));
    }

    @Test
    void aRestEndsAfterItsTimeOrAtOnceOnAWakeAHoldOrAClose() throws Exception {
        RunGate gate = new RunGate();
        gate.wake();
        long early = System.nanoTime();
        gate.rest(TimeUnit.SECONDS.toNanos(30));
        assertTrue(System.nanoTime() - early < TimeUnit.SECONDS.toNanos(5),
                "a wake just before the rest (a command posted after the guest looked) ends it at once");
        long start = System.nanoTime();
        gate.rest(TimeUnit.MILLISECONDS.toNanos(30));
        assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(30), "an undisturbed rest lasts its time (the wake was taken)");

        assertRestCutShort(gate, gate::wake, "a wake (a command posted)");
        assertRestCutShort(gate, () -> {
            try {
                gate.hold(RunGate.PAUSE);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }, "a hold (a pause)");
        long held = System.nanoTime();
        gate.rest(TimeUnit.SECONDS.toNanos(30));
        assertTrue(System.nanoTime() - held < TimeUnit.SECONDS.toNanos(5), "no rest while the gate is held");
        gate.release(RunGate.PAUSE);
        assertRestCutShort(gate, gate::close, "the machine's end");
    }

    /** A vCPU-like thread rests for a minute; {@code disturb} must end it within seconds. */
    private static void assertRestCutShort(RunGate gate, Runnable disturb, String what) throws InterruptedException {
        CountDownLatch resting = new CountDownLatch(1);
        Runnable kick = () -> { };
        gate.join(kick);
        Thread vcpu = Thread.ofPlatform().start(() -> {
            resting.countDown();
            gate.rest(TimeUnit.MINUTES.toNanos(1));
            gate.leave(kick);
        });
        assertTrue(resting.await(5, TimeUnit.SECONDS));
        Thread.sleep(50);
        assertTrue(vcpu.isAlive(), "still resting before " + what);
        disturb.run();
        vcpu.join(TimeUnit.SECONDS.toMillis(5));
        assertFalse(vcpu.isAlive(), "a rest outlasted " + what);
    }

    private static void awaitProgress(Spinner spinner) throws InterruptedException {
        long start = spinner.work.get();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (spinner.work.get() <= start + 3 && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertTrue(spinner.work.get() > start + 3, "spinner makes progress");
    }
}
