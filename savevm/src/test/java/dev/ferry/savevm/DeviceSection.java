package dev.ferry.savevm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;

/** A state section for tests: saves a fixed {@link DeviceSection.State}, records what it loads and when it rehearsed. */
final class DeviceSection implements StateSection<DeviceSection.State> {

    enum Mode { IDLE, BUSY }

    record Queue(long address, int size, boolean ready) {
    }

    record State(int irq, long[] registers, byte[] blob, String name, Mode mode, List<Queue> queues, Optional<Long> pending) {
    }

    static State sample() {
        return new State(5, new long[] {1, -2, Long.MAX_VALUE}, new byte[] {9, 8, 7}, "virtio-blk é", Mode.BUSY,
                List.of(new Queue(0x1000, 256, true), new Queue(0x2000, 128, false)), Optional.of(42L));
    }

    /** Component by component: record equality compares arrays by identity. */
    static void assertSameState(State expected, State actual) {
        assertEquals(expected.irq(), actual.irq());
        assertArrayEquals(expected.registers(), actual.registers());
        assertArrayEquals(expected.blob(), actual.blob());
        assertEquals(expected.name(), actual.name());
        assertEquals(expected.mode(), actual.mode());
        assertEquals(expected.queues(), actual.queues());
        assertEquals(expected.pending(), actual.pending());
    }

    private final SectionId id;
    private final State saved;
    private final String verifyFailure;
    private State loaded;
    private final List<Long> rehearsals = new CopyOnWriteArrayList<>();
    /** Released, the rehearsal ends at once; held, it ends only when a test lets it go. */
    private volatile CountDownLatch rehearsalHold = new CountDownLatch(0);
    private volatile RuntimeException rehearsalFailure;

    DeviceSection(int version, State saved, String verifyFailure) {
        this.id = new SectionId("device", 0, version);
        this.saved = saved;
        this.verifyFailure = verifyFailure;
    }

    /** From now on the rehearsal waits for {@link #endRehearsal} (as a slow one in a nested KVM takes seconds). */
    DeviceSection holdingRehearsal() {
        rehearsalHold = new CountDownLatch(1);
        return this;
    }

    /** Lets a held rehearsal end, failing with {@code failure} if not null. */
    void endRehearsal(RuntimeException failure) {
        rehearsalFailure = failure;
        rehearsalHold.countDown();
    }

    @Override
    public SectionId id() {
        return id;
    }

    @Override
    public Class<State> stateType() {
        return State.class;
    }

    @Override
    public State save() {
        return saved;
    }

    @Override
    public void rehearse() {
        try {
            rehearsalHold.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (rehearsalFailure != null) {
            throw rehearsalFailure;
        }
        rehearsals.add(System.nanoTime());
    }

    @Override
    public void load(State state, int version) {
        loaded = state;
    }

    @Override
    public void verify() throws IOException {
        if (verifyFailure != null) {
            throw new MigrationException(Phase.VERIFY, verifyFailure);
        }
    }

    State loaded() {
        return loaded;
    }

    /** When {@link #rehearse()} ran, by {@link System#nanoTime()}. */
    List<Long> rehearsals() {
        return List.copyOf(rehearsals);
    }
}
