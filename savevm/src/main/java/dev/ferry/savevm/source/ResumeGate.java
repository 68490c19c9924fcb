package dev.ferry.savevm.source;

import dev.ferry.savevm.MigrationChannel;
import java.io.IOException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Where a paused source migration waits for its next link: the monitor's resume command hands a
 * connected channel over, the migration thread takes it. One link at a time.
 */
final class ResumeGate {

    /** Polls the cancel flag between waits; throws to stop waiting. */
    @FunctionalInterface
    interface Check {
        void check() throws IOException;
    }

    private final BlockingQueue<MigrationChannel> links = new ArrayBlockingQueue<>(1);

    /** Hands {@code link} to the waiting migration; false if one is already waiting to be taken. */
    boolean offer(MigrationChannel link) {
        return links.offer(link);
    }

    /** Blocks until a link is offered; {@code cancelled} is polled every 100 ms. */
    MigrationChannel await(Check cancelled) throws IOException {
        while (true) {
            cancelled.check();
            try {
                MigrationChannel link = links.poll(100, TimeUnit.MILLISECONDS);
                if (link != null) {
                    return link;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for a link to resume on", e);
            }
        }
    }

    /** Closes a link offered too late to be taken (the migration ended meanwhile). */
    void closeLeftover() {
        MigrationChannel left = links.poll();
        if (left != null) {
            try {
                left.close();
            } catch (IOException e) {
                // nothing was sent on it
            }
        }
    }
}
