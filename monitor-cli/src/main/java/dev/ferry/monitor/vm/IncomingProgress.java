package dev.ferry.monitor.vm;

import dev.ferry.monitor.hmp.MigrationInfo;
import java.time.Duration;
import java.util.Optional;

/**
 * A destination's incoming migration as {@code info migrate} shows it, QEMU's way: the address
 * while it waits, then active, completed or failed with the time it took.
 */
final class IncomingProgress {

    private volatile String status = "none";
    private volatile String address = "";
    private volatile String failure = "";
    private volatile long startNanos;
    private volatile long endNanos;

    void waiting(String uri) {
        address = uri;
    }

    void active() {
        address = "";
        startNanos = System.nanoTime();
        status = "active";
    }

    void completed() {
        end("completed");
    }

    void failed(String reason) {
        failure = reason;
        end("failed");
    }

    private void end(String word) {
        endNanos = System.nanoTime();
        status = word;
    }

    MigrationInfo info() {
        String now = status;
        Optional<Duration> total = now.equals("none") ? Optional.empty()
                : Optional.of(Duration.ofNanos((now.equals("active") ? System.nanoTime() : endNanos) - startNanos));
        return new MigrationInfo(now, now.equals("failed") ? Optional.of(failure) : Optional.empty(), total,
                address.isEmpty() ? Optional.empty() : Optional.of(address), Optional.empty());
    }
}
