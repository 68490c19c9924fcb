package dev.ferry.savevm;

import java.io.IOException;

/**
 * The source's configuration record, built on the migration thread when the stream starts: what
 * it holds may take a while to compute (a backing file's full digest), and the monitor that
 * started the migration must not wait for it.
 */
@FunctionalInterface
public interface ConfigSource {

    Record config() throws IOException;
}
