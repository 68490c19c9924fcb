package dev.ferry.savevm.stream;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;

/**
 * The channel under the stream was closed while a frame was being read or written: by the
 * caller, by a cancel, or by a watchdog. The JDK's {@link ClosedChannelException} has no message,
 * so a failure would read as a bare class name; this one says what happened.
 */
final class ChannelClosedException extends IOException {

    private static final long serialVersionUID = 1L;

    ChannelClosedException(ClosedChannelException cause) {
        super("the migration channel was closed underneath the migration", cause);
    }
}
