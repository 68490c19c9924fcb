package dev.ferry.jmh;

import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;

/** A channel that takes everything and keeps nothing: what a benchmark writes to when the wire is not measured. */
final class DiscardChannel implements ByteChannel {

    @Override
    public int write(ByteBuffer src) {
        int n = src.remaining();
        src.position(src.limit());
        return n;
    }

    @Override
    public int read(ByteBuffer dst) {
        return -1;
    }

    @Override
    public boolean isOpen() {
        return true;
    }

    @Override
    public void close() {
    }
}
