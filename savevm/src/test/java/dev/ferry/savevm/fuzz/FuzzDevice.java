package dev.ferry.savevm.fuzz;

import dev.ferry.savevm.MigrationException;
import dev.ferry.savevm.Phase;
import dev.ferry.savevm.SectionId;
import dev.ferry.savevm.StateSection;
import java.util.List;
import java.util.Optional;

/**
 * A device state section whose record uses every kind of component the codec knows, with the
 * checks a real device does: the queue record validates itself, the section checks the IRQ.
 */
final class FuzzDevice implements StateSection<FuzzDevice.State> {

    enum Mode { IDLE, BUSY, RESET }

    /** A virtqueue as a device saves it; refuses a size a driver could not have set. */
    record Queue(long descriptors, int size, boolean ready) {
        Queue {
            if (size <= 0 || size > 32768 || Integer.bitCount(size) != 1) {
                throw new InvalidState("queue size " + size + " is not a power of two in 1..32768");
            }
        }
    }

    record State(int irq, long[] registers, int[] features, byte[] config, String name, Mode mode,
                 List<Queue> queues, Optional<Long> pendingInterrupt, double load, char tag, short flags) {
    }

    /** A record's own validation refusing a decoded value, as opposed to a parser bug. */
    static final class InvalidState extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        InvalidState(String message) {
            super(message);
        }
    }

    static final int IRQ_LINES = 24;

    private final State saved;
    private State loaded;

    FuzzDevice(State saved) {
        this.saved = saved;
    }

    static State busy() {
        return new State(5, new long[] {1, -2, Long.MAX_VALUE}, new int[] {0x10, 0x20}, new byte[] {9, 8, 7},
                "virtio-blk é", Mode.BUSY, List.of(new Queue(0x1000, 256, true), new Queue(0x2000, 128, false)),
                Optional.of(42L), 0.5, 'q', (short) -1);
    }

    static State idle() {
        return new State(0, new long[0], new int[0], new byte[0], "", Mode.IDLE, List.of(), Optional.empty(), 0, ' ', (short) 0);
    }

    @Override
    public SectionId id() {
        return new SectionId("device", 0, 2);
    }

    @Override
    public void load(State state, int version) throws MigrationException {
        if (state.irq() < 0 || state.irq() >= IRQ_LINES) {
            throw new MigrationException(Phase.LOAD, "device IRQ " + state.irq() + " is outside 0.." + (IRQ_LINES - 1));
        }
        loaded = state;
    }

    Optional<State> loaded() {
        return Optional.ofNullable(loaded);
    }

    @Override
    public State save() {
        return saved;
    }

    @Override
    public Class<State> stateType() {
        return State.class;
    }
}
