package dev.ferry.savevm.source;

import dev.ferry.savevm.MigrationException;
import dev.ferry.savevm.Phase;
import dev.ferry.savevm.StateSection;
import dev.ferry.savevm.codec.StateCodec;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The state sections' rehearsal ({@link StateCodec#prepare}, {@link StateSection#rehearse}) on a
 * thread of its own from the start of a migration, beside the configuration's exchange and the
 * live copy; the pause waits for it. It warms code that runs once and cold inside the downtime
 * otherwise, and it is slow itself where code runs slowly (in a nested KVM it took 11 s, all of
 * the setup's time, when the migration thread ran it before the copy).
 */
public final class StateWarmUp {

    private static final Logger LOG = LoggerFactory.getLogger(StateWarmUp.class);

    private final FutureTask<Void> task;

    private StateWarmUp(List<StateSection<?>> states) {
        this.task = new FutureTask<>(() -> {
            rehearse(states);
            return null;
        });
    }

    /**
     * Rehearses {@code states} on the calling thread: what a migration's own warm-up does, run by
     * a source ahead of it ({@link dev.ferry.savevm.MigrationDriver#rehearse}).
     */
    public static void rehearse(List<StateSection<?>> states) {
        long started = System.nanoTime();
        for (StateSection<?> section : states) {
            StateCodec.prepare(section.stateType());
            section.rehearse();
        }
        LOG.debug("state sections rehearsed in {} ms", (System.nanoTime() - started) / 1_000_000);
    }

    /** Starts rehearsing {@code states} on a daemon thread. */
    static StateWarmUp start(List<StateSection<?>> states) {
        StateWarmUp warmUp = new StateWarmUp(states);
        Thread.ofPlatform().daemon().name("state-rehearsal").start(warmUp.task);
        return warmUp;
    }

    /**
     * Waits up to {@code millis} for the rehearsal to end.
     *
     * @return whether it ended
     * @throws MigrationException if it failed (a state type the codec cannot take: the pause would fail on it too)
     */
    boolean await(long millis) throws MigrationException {
        try {
            task.get(millis, TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MigrationException(Phase.ITERATE, "interrupted while waiting for the state sections' rehearsal");
        } catch (ExecutionException | CancellationException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new MigrationException(Phase.SETUP, "the state sections' rehearsal failed: " + cause, cause);
        }
    }
}
