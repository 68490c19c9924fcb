package dev.ferry.savevm;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The sections of one VM, in the order they are saved: live sections are set up, iterated and
 * completed in registration order, then state sections are saved in registration order; the
 * destination loads them in the same order. Register everything before a migration starts;
 * the driver takes a snapshot of the list. Source and destination register the same sections.
 */
public final class SectionRegistry {

    private final List<Section> sections = new ArrayList<>();

    /** An empty registry. */
    public SectionRegistry() {
    }

    /**
     * Adds a live section (RAM, a disk).
     *
     * @param section a section whose idstr and instance are not registered yet
     * @return this registry
     * @throws IllegalArgumentException if a section with that idstr and instance is registered
     */
    public synchronized SectionRegistry register(LiveSection section) {
        return add(section);
    }

    /**
     * Adds a state section (vCPU, device).
     *
     * @param section a section whose idstr and instance are not registered yet
     * @return this registry
     * @throws IllegalArgumentException if a section with that idstr and instance is registered
     */
    public synchronized SectionRegistry register(StateSection<?> section) {
        return add(section);
    }

    private SectionRegistry add(Section section) {
        SectionId id = section.id();
        if (find(id.idstr(), id.instance()).isPresent()) {
            throw new IllegalArgumentException("section " + id + " is already registered");
        }
        sections.add(section);
        return this;
    }

    /**
     * Every section, live ones first, each group in registration order.
     *
     * @return an immutable list
     */
    public synchronized List<Section> sections() {
        List<Section> ordered = new ArrayList<>(live());
        ordered.addAll(state());
        return List.copyOf(ordered);
    }

    /**
     * The live sections in registration order.
     *
     * @return an immutable list
     */
    public synchronized List<LiveSection> live() {
        return sections.stream().filter(s -> s instanceof LiveSection).map(s -> (LiveSection) s).toList();
    }

    /**
     * The state sections in registration order.
     *
     * @return an immutable list
     */
    public synchronized List<StateSection<?>> state() {
        return sections.stream().filter(s -> s instanceof StateSection<?>).<StateSection<?>>map(s -> (StateSection<?>) s).toList();
    }

    /**
     * The section registered under {@code idstr} and {@code instance}, if any.
     *
     * @param idstr the section's name
     * @param instance the section's instance
     * @return the section, or empty
     */
    public synchronized Optional<Section> find(String idstr, int instance) {
        return sections.stream().filter(s -> s.id().idstr().equals(idstr) && s.id().instance() == instance).findFirst();
    }
}
