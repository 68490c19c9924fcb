package dev.ferry.savevm;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The source's side of resuming a migration whose link broke during the live copy. The sections
 * it stands for keep tracking changes through the break; on a new link the destination's RESUME
 * payload (what it already holds) comes here, and this marks everything the destination lacks as
 * pending again, or refuses.
 */
@FunctionalInterface
public interface OutgoingResume {

    /**
     * Checks the destination's RESUME payload against this migration and plans what to send again.
     *
     * @param held the destination's RESUME payload
     * @throws IOException one line if the destination belongs to another migration or other disks;
     *         the migration then stays paused and nothing is sent on that link
     */
    void resumeFrom(ByteBuffer held) throws IOException;
}
