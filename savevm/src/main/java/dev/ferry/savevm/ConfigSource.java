package dev.ferry.savevm;

import java.io.IOException;

/**
 * The source's configuration record, built on the migration thread when the stream starts: what
 * it holds may take a while to compute (a backing file's full digest), and the monitor that
 * started the migration must not wait for it.
 */
@FunctionalInterface
public interface ConfigSource {

    /**
     * Builds the configuration record; called once, on the migration thread.
     *
     * @return the record the destination's {@link ConfigCheck} will judge
     * @throws IOException if it cannot be built; the migration then fails in {@link Phase#CONFIG}
     */
    Record config() throws IOException;
}
