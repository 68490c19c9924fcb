package dev.ferry.savevm;

import java.io.IOException;
import java.nio.channels.ByteChannel;
import java.nio.channels.Channel;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.util.Objects;
import java.util.Optional;

/**
 * The byte channels a migration runs over, as a transport gives them. The stream flows one way
 * (source writes, destination reads); the return path, when there is one, carries the
 * destination's ACK or NACK back. tcp, unix and socket fds are {@link #duplex}; an exec pipe or
 * a file is one-way. The migration owns the channels and closes them when it ends.
 */
public final class MigrationChannel implements AutoCloseable {

    private final ReadableByteChannel in;
    private final WritableByteChannel out;

    private MigrationChannel(ReadableByteChannel in, WritableByteChannel out) {
        this.in = in;
        this.out = out;
    }

    /**
     * A bidirectional channel: stream one way, return path the other.
     *
     * @param channel read and written by this end
     * @return a channel with both sides
     */
    public static MigrationChannel duplex(ByteChannel channel) {
        Objects.requireNonNull(channel, "channel");
        return new MigrationChannel(channel, channel);
    }

    /**
     * Two one-way channels, e.g. the ends of two pipes.
     *
     * @param in the side read
     * @param out the side written
     * @return a channel with both sides
     */
    public static MigrationChannel of(ReadableByteChannel in, WritableByteChannel out) {
        return new MigrationChannel(Objects.requireNonNull(in, "in"), Objects.requireNonNull(out, "out"));
    }

    /**
     * Source side without return path: success means the stream was fully written.
     *
     * @param out the stream
     * @return a channel without a readable side
     */
    public static MigrationChannel writeOnly(WritableByteChannel out) {
        return new MigrationChannel(null, Objects.requireNonNull(out, "out"));
    }

    /**
     * Destination side without return path (e.g. reading a saved stream from a file).
     *
     * @param in the stream
     * @return a channel without a writable side
     */
    public static MigrationChannel readOnly(ReadableByteChannel in) {
        return new MigrationChannel(Objects.requireNonNull(in, "in"), null);
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
