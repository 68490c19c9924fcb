package dev.ferry.vm.migration;

import dev.ferry.savevm.SectionId;
import dev.ferry.savevm.StateSection;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * A non-live section whose state is one record: read from a device or vCPU at the pause, handed
 * to its counterpart on the destination.
 *
 * @param <S> the state record type
 */
public final class RecordSection<S extends Record> implements StateSection<S> {

    private final SectionId id;
    private final Class<S> type;
    private final Supplier<S> save;
    private final Consumer<S> load;
    private final Runnable rehearsal;

    /**
     * A section that saves {@code save.get()} and loads with {@code load}.
     *
     * @param id the section's id
     * @param type the state record's class
     * @param save reads the state at the pause, on the migration thread
     * @param load applies the state on the destination
     */
    public RecordSection(SectionId id, Class<S> type, Supplier<S> save, Consumer<S> load) {
        this(id, type, save, load, () -> { });
    }

    /**
     * As {@link #RecordSection(SectionId, Class, Supplier, Consumer)}, with a {@link #rehearse()}.
     *
     * @param id the section's id
     * @param type the state record's class
     * @param save reads the state at the pause, on the migration thread
     * @param load applies the state on the destination
     * @param rehearsal warms the save path before the pause without touching the running VM
     */
    public RecordSection(SectionId id, Class<S> type, Supplier<S> save, Consumer<S> load, Runnable rehearsal) {
        this.id = id;
        this.type = type;
        this.save = save;
        this.load = load;
        this.rehearsal = rehearsal;
    }

    @Override
    public SectionId id() {
        return id;
    }

    @Override
    public Class<S> stateType() {
        return type;
    }

    @Override
    public S save() {
        return save.get();
    }

    @Override
    public void rehearse() {
        rehearsal.run();
    }

    @Override
    public void load(S state, int version) {
        load.accept(state);
    }
}
