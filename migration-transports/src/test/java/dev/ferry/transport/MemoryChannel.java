package dev.ferry.transport;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * A channel in memory for the record tests: keeps each write (one sealed record) as bytes, and
 * reads back {@code input} at most {@code piece} bytes a call, as a socket may.
 */
final class MemoryChannel implements MigrationChannel {

    private final MigrationUri uri = MigrationUri.parse("tcp:127.0.0.1:9");
    private final List<byte[]> writes = new ArrayList<>();
    private final ByteBuffer input;
    private final int piece;

    MemoryChannel(ByteBuffer input, int piece) {
        this.input = input;
        this.piece = piece;
    }

    /** A channel that only records what is written to it. */
    static MemoryChannel writeOnly() {
        return new MemoryChannel(ByteBuffer.allocate(0), 1);
    }

    List<byte[]> writes() {
        return writes;
    }

    @Override
    public MigrationUri uri() {
        return uri;
    }

    @Override
    public int write(ByteBuffer src) {
        byte[] copy = new byte[src.remaining()];
        src.get(copy);
        writes.add(copy);
        return copy.length;
    }

    @Override
    public int read(ByteBuffer dst) {
        if (!input.hasRemaining()) {
            return -1;
        }
        int n = Math.min(Math.min(piece, dst.remaining()), input.remaining());
        dst.put(input.slice(input.position(), n));
        input.position(input.position() + n);
        return n;
    }

    @Override
    public void abort() {
    }

    @Override
    public void shutdownOutput() {
    }

    @Override
    public boolean isOpen() {
        return true;
    }

    @Override
    public void close() {
    }
}
