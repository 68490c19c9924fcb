package dev.ferry.savevm.stream;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;

/**
 * The side that ends a link with a last word (the source's ABORT, the destination's NACK) reads
 * what the peer still sends until the peer hangs up, and only then closes: closing a TCP socket
 * with bytes unread resets the link, and the reset throws away what the kernel had not sent yet
 * of ours, the last word among it. Callers bound the wait with a {@link Watchdog} that closes the
 * link.
 */
public final class HangUp {

    private HangUp() {
    }

    /**
     * Reads and drops what {@code in} delivers until its end of stream.
     *
     * @throws IOException when reading fails, e.g. because the watchdog closed the channel
     */
    public static void awaitFrom(ReadableByteChannel in) throws IOException {
        ByteBuffer dropped = ByteBuffer.allocate(64 << 10);
        while (in.read(dropped.clear()) >= 0) {
            // what the peer sent before it read our last word: nothing here reads it
        }
    }
}
