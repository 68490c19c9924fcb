package dev.ferry.transport;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;

/**
 * One migration stream's bytes, in either direction, over whichever transport its URI chose.
 *
 * <p>Reads and writes block; a write returns only when the whole buffer is written. Pass direct
 * (or segment-backed) buffers of a MiB or so: they go to the kernel without an intermediate copy.
 * {@link #abort()} and {@link #close()} may be called from another thread at any time and make a
 * blocked read or write fail promptly with {@link java.nio.channels.AsynchronousCloseException}.
 */
public interface MigrationChannel extends ByteChannel {

    /**
     * The URI this channel was opened for; every error message names it.
     *
     * @return the URI as the channel was opened with it
     */
    MigrationUri uri();

    /**
     * Cancels the stream from any thread: a blocked read or write fails at once, an exec command is
     * killed. {@link #close()} must still be called to release what the channel holds.
     */
    void abort();

    /**
     * Writes all of {@code src}.
     *
     * @return the number of bytes written, which is everything {@code src} had remaining
     */
    @Override
    int write(ByteBuffer src) throws IOException;

    /**
     * Half-closes: this end sends no more, the peer reads end of stream once it has read all that
     * was sent, and this end can still read what the peer writes back (a failing source waits so
     * for the destination's last word instead of resetting the link under it). A socket shuts its
     * output down (TLS sends close_notify first); a one-way pipe's writing end, or a descriptor that
     * is not a socket, is closed; a channel that only reads has nothing to do. {@link #close()} must
     * still be called.
     *
     * @throws IOException when the channel is closed or the half-close fails
     */
    void shutdownOutput() throws IOException;

    /**
     * Closes the stream, removing what it owns: the socket, the descriptor, and for exec the child,
     * which is waited for.
     *
     * @throws TransportException when an exec command exited with a non-zero status (its stderr in the message)
     */
    @Override
    void close() throws IOException;
}
