package dev.ferry.vm.device.serial;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Predicate;

/** Keeps what the guest printed in memory; tests and the machine wait for lines in it. */
public final class MemoryUartSink implements UartSink {

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

    /** An empty sink. */
    public MemoryUartSink() {
    }

    @Override
    public synchronized void accept(byte b) {
        bytes.write(b);
        if (b == '\n') {
            notifyAll();
        }
    }

    /**
     * Everything printed so far.
     *
     * @return the text, UTF-8 decoded
     */
    public synchronized String text() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /**
     * Waits until a complete line matches, or the timeout passes.
     *
     * @param match tested on each complete line, without the line end
     * @param timeout the longest wait
     * @return the first matching line, or empty after the timeout
     * @throws InterruptedException if the waiting thread is interrupted
     */
    public synchronized Optional<String> awaitLine(Predicate<String> match, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            String all = text();
            int end = all.lastIndexOf('\n');
            if (end >= 0) {
                Optional<String> hit = all.substring(0, end).lines().filter(match).findFirst();
                if (hit.isPresent()) {
                    return hit;
                }
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return Optional.empty();
            }
            wait(Math.max(1, left / 1_000_000));
        }
    }
}
