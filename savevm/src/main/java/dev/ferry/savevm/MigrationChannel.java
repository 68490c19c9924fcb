package dev.ferry.savevm;

import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.ByteChannel;
import java.nio.channels.Channel;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.WritableByteChannel;
import java.util.Objects;
import java.util.Optional;

/**
 * The byte channels a migration runs over, as a transport gives them. The stream flows one way
 * (source writes, destination reads); the return path, when there is one, carries the
 * destination's ACK or NACK back. tcp, unix and socket fds are {@link #duplex}; an exec pipe or
 * a file is one-way. The migration owns the channels and closes them when it ends.
 *
 * <p>A failing source {@linkplain #shutdownOutput half-closes} after its ABORT and reads the
 * return path to its end before it closes: closing a socket with bytes unread resets the link, and
 * the reset throws away what the kernel had not sent yet, the ABORT among it.
 */
public final class MigrationChannel implements AutoCloseable {

    private final ReadableByteChannel in;
    private final WritableByteChannel out;
    /** Ends this end's output only; null when the channel has no such way. */
    private final Closeable outputShutdown;

    private MigrationChannel(ReadableByteChannel in, WritableByteChannel out, Closeable outputShutdown) {
        this.in = in;
        this.out = out;
        this.outputShutdown = outputShutdown;
    }

    /**
     * A bidirectional channel: stream one way, return path the other. A {@link SocketChannel}
     * half-closes by shutting its output down; other channels cannot half-close (pass
     * {@link #duplex(ByteChannel, Closeable)} the way they have).
     *
     * @param channel read and written by this end
     * @return a channel with both sides
     */
    public static MigrationChannel duplex(ByteChannel channel) {
        Objects.requireNonNull(channel, "channel");
        return new MigrationChannel(channel, channel, channel instanceof SocketChannel socket ? socket::shutdownOutput : null);
    }

    /**
     * A bidirectional channel that can half-close, e.g. a transport's channel with its own
     * {@code shutdownOutput} (TLS sends close_notify before it shuts the socket's output down).
     *
     * @param channel read and written by this end
     * @param outputShutdown ends this end's output only: the peer reads end of stream, and this
     *        end can still read what the peer sends
     * @return a channel with both sides
     */
    public static MigrationChannel duplex(ByteChannel channel, Closeable outputShutdown) {
        return new MigrationChannel(Objects.requireNonNull(channel, "channel"), channel,
                Objects.requireNonNull(outputShutdown, "outputShutdown"));
    }

    /**
     * Two one-way channels, e.g. the ends of two pipes.
     *
     * @param in the side read
     * @param out the side written
     * @return a channel with both sides
     */
    public static MigrationChannel of(ReadableByteChannel in, WritableByteChannel out) {
        Objects.requireNonNull(out, "out");
        return new MigrationChannel(Objects.requireNonNull(in, "in"), out, out);
    }

    /**
     * Source side without return path: success means the stream was fully written.
     *
     * @param out the stream
     * @return a channel without a readable side
     */
    public static MigrationChannel writeOnly(WritableByteChannel out) {
        return new MigrationChannel(null, Objects.requireNonNull(out, "out"), out);
    }

    /**
     * Destination side without return path (e.g. reading a saved stream from a file).
     *
     * @param in the stream
     * @return a channel without a writable side
     */
    public static MigrationChannel readOnly(ReadableByteChannel in) {
        return new MigrationChannel(Objects.requireNonNull(in, "in"), null, null);
    }

    /**
     * The side this end reads from: the stream (destination) or the return path (source).
     *
     * @return the readable side, empty for a write-only channel
     */
    public Optional<ReadableByteChannel> readable() {
        return Optional.ofNullable(in);
    }

    /**
     * The side this end writes to: the stream (source) or the return path (destination).
     *
     * @return the writable side, empty for a read-only channel
     */
    public Optional<WritableByteChannel> writable() {
        return Optional.ofNullable(out);
    }

    /**
     * Half-closes: ends this end's output (the peer reads end of stream once it read the rest) and
     * keeps the readable side open. A one-way output is simply closed.
     *
     * @return false when there is nothing to half-close: no writable side, or a duplex channel
     *         given without a way to end its output alone
     * @throws IOException when ending the output fails (e.g. the channel is closed)
     */
    public boolean shutdownOutput() throws IOException {
        if (outputShutdown == null) {
            return false;
        }
        outputShutdown.close();
        return true;
    }

    /**
     * Whether every side this end has is still open: a finished migration closes its channel.
     *
     * @return false once any side is closed
     */
    public boolean isOpen() {
        return (in == null || in.isOpen()) && (out == null || out.isOpen());
    }

    /**
     * Fails fast, before a migration starts over a channel that cannot carry it.
     *
     * @throws IllegalArgumentException when a side is closed
     */
    public void requireOpen() {
        if (!isOpen()) {
            throw new IllegalArgumentException(
                    "the migration channel is closed: a finished migration closes its channel; open a new one");
        }
    }

    /** Closes both sides (closing again does nothing); used also to unblock I/O stuck in another thread. */
    @Override
    public void close() throws IOException {
        IOException first = closeQuietly(in, null);
        if (out != in) {
            first = closeQuietly(out, first);
        }
        if (first != null) {
            throw first;
        }
    }

    private static IOException closeQuietly(Channel channel, IOException first) {
        if (channel == null) {
            return first;
        }
        try {
            channel.close();
            return first;
        } catch (IOException e) {
            if (first != null) {
                first.addSuppressed(e);
                return first;
            }
            return e;
        }
    }
}
