package dev.ferry.transport;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * Drains a child's diagnostic output on its own virtual thread, keeping only the last few KiB:
 * enough for an error message, bounded however much the command prints, and never letting the
 * child block on a full stderr pipe.
 */
final class OutputTail {

    static final int LIMIT = 4096;

    private final byte[] tail = new byte[LIMIT];
    private int size;
    private final Thread drainer;

    private OutputTail(InputStream output) {
        drainer = Thread.ofVirtual().name("exec-stderr").start(() -> drain(output));
    }

    static OutputTail start(InputStream output) {
        return new OutputTail(output);
    }

    /**
     * The kept output as one line, after waiting briefly for the stream to end (a lingering
     * grandchild may keep it open).
     */
    String text() {
        try {
            drainer.join(TimeUnit.SECONDS.toMillis(2));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (tail) {
            return new String(tail, 0, size, StandardCharsets.UTF_8).strip().replaceAll("\\s*\\R\\s*", "; ");
        }
    }

    private void drain(InputStream output) {
        byte[] chunk = new byte[LIMIT];
        try (output) {
            int n;
            while ((n = output.read(chunk)) >= 0) {
                keep(chunk, n);
            }
        } catch (IOException e) {
            // the child is gone or its pipe was closed: what was read so far is all there is
        }
    }

    private void keep(byte[] chunk, int n) {
        synchronized (tail) {
            int overflow = Math.max(0, size + n - LIMIT);
            if (overflow > 0) {
                System.arraycopy(tail, overflow, tail, 0, size - overflow);
                size -= overflow;
            }
            System.arraycopy(chunk, 0, tail, size, n);
            size += n;
        }
    }
}
