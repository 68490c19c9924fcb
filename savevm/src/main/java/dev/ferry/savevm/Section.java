package dev.ferry.savevm;

import java.io.IOException;

/**
 * What every section has: a name and version, a version check the destination runs before any
 * load, and a final verification after the whole stream arrived. Implement {@link LiveSection}
 * or {@link StateSection}, never this directly.
 */
public sealed interface Section permits LiveSection, StateSection {

    /**
     * Name, instance and the version this build writes.
     *
     * @return the section's id at the version this build writes
     */
    SectionId id();

    /**
     * Whether this build can load a stream of {@code version}. The destination refuses the
     * section with a clear error before calling any load when this says no. The default accepts
     * only {@code id().version()}; a section that can read older layouts overrides it.
     *
     * @param version the version the stream announces for this section
     * @return true if {@link LiveSection#load} or {@link StateSection#load} can read it
     */
    default boolean acceptsVersion(int version) {
        return version == id().version();
    }

    /**
     * Destination: runs after the end of the stream, once every section loaded and before the
     * destination acknowledges; throws if the loaded state does not check out (e.g. a disk digest
     * differs from the one the source sent).
     *
     * @throws IOException if the loaded state is wrong; the destination then fails the migration
     */
    default void verify() throws IOException {
    }
}
