package dev.ferry.savevm;

import java.io.IOException;

/**
 * The destination's side of resuming: when the link breaks during the live copy (after the
 * configuration was accepted, before EOF), the loader keeps every section as it is and asks for
 * the next link instead of failing; on it, it sends {@link #held} in a RESUME frame.
 */
public interface IncomingResume {

    /**
     * Whether this migration can resume at all, asked once the configuration was accepted (e.g.
     * not without a storage copy, whose migration id matches a resuming source). If not, the
     * destination does not offer to wait, and a break fails both sides as without a resume.
     *
     * @return true to offer waiting after a break
     */
    default boolean possible() {
        return true;
    }

    /**
     * What the destination holds, as the RESUME payload the source's {@link OutgoingResume} reads.
     *
     * @return the payload
     * @throws IOException if it cannot be told (the migration then fails)
     */
    byte[] held() throws IOException;

    /**
     * Blocks until a source connects again.
     *
     * @param reason one line: why the last link ended (broken, or a resume the source refused)
     * @return the new link, readable and writable
     * @throws IOException to give up waiting (the migration then fails)
     */
    MigrationChannel reconnect(String reason) throws IOException;
}
