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
    private volatile Optional<MigrationInfo.IncomingStart> started = Optional.empty();

    void waiting(String uri) {
        address = uri;
    }

    void active() {
        address = "";
        if (!status.equals("precopy-paused")) {
            startNanos = System.nanoTime();
        }
        status = "active";
    }

    /** The link broke; the destination keeps what it received and waits on {@code uri} again. */
    void paused(String reason, String uri) {
        failure = reason;
        address = uri;
        status = "precopy-paused";
    }

    /** The received VM runs, started as {@code start} says. */
    void completed(MigrationInfo.IncomingStart start) {
        started = Optional.of(start);
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
                : Optional.of(Duration.ofNanos((now.equals("active") || now.equals("precopy-paused") ? System.nanoTime() : endNanos) - startNanos));
        boolean says = now.equals("failed") || now.equals("precopy-paused");
        return new MigrationInfo(now, says ? Optional.of(failure) : Optional.empty(), total,
                address.isEmpty() ? Optional.empty() : Optional.of(address), started, Optional.empty());
    }
}
