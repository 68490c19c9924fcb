package dev.ferry.transport;

import java.io.IOException;
import java.nio.channels.Channel;
import java.time.Duration;

/**
 * Closes a channel when a blocking exchange on it (a TLS handshake) outlasts its deadline: a
 * blocking SocketChannel has no read timeout, and a peer that connects and stays silent must not
 * hold the destination for ever. Closing it ends the watch.
 */
final class Watchdog implements AutoCloseable {

    private final Thread thread;
    private volatile boolean fired;

    private Watchdog(Channel channel, Duration deadline) {
        this.thread = Thread.ofVirtual().name("tls-watchdog").start(() -> {
            try {
                Thread.sleep(deadline);
                fired = true;
                channel.close();
            } catch (InterruptedException | IOException e) {
                // ended in time, or the channel is already closed
            }
        });
    }

    static Watchdog closing(Channel channel, Duration deadline) {
        return new Watchdog(channel, deadline);
    }

    /** True when the deadline passed and the channel was closed. */
    boolean fired() {
        return fired;
    }

    @Override
    public void close() {
        thread.interrupt();
    }
}
