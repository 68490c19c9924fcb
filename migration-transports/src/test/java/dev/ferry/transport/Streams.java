package dev.ferry.transport;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.util.SplittableRandom;
import java.util.zip.CRC32C;

/** Moves pseudo-random test data through channels in 1 MiB direct buffers and checksums both ends. */
final class Streams {

    static final int CHUNK = 1 << 20;

    /** What one end saw: byte count and CRC32C. */
    record Digest(long bytes, long crc) {
    }

    private Streams() {
    }

    /** Writes {@code bytes} random bytes from {@code seed}, without closing the channel. */
    static Digest send(WritableByteChannel channel, long seed, long bytes) throws IOException {
        SplittableRandom random = new SplittableRandom(seed);
        ByteBuffer buffer = ByteBuffer.allocateDirect(CHUNK);
        byte[] chunk = new byte[CHUNK];
        CRC32C crc = new CRC32C();
        for (long sent = 0; sent < bytes; sent += buffer.limit()) {
            int n = (int) Math.min(CHUNK, bytes - sent);
            random.nextBytes(chunk);
            buffer.clear();
            buffer.put(chunk, 0, n).flip();
            crc.update(buffer.duplicate());
            int written = channel.write(buffer);
            if (written != n || buffer.hasRemaining()) {
                throw new IllegalStateException("short write: " + written + " of " + n);
            }
        }
        return new Digest(bytes, crc.getValue());
    }

    /** Reads to end of stream. */
    static Digest receive(ReadableByteChannel channel) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocateDirect(CHUNK);
        CRC32C crc = new CRC32C();
        long total = 0;
        int n;
        while ((n = channel.read(buffer)) >= 0) {
            total += n;
            buffer.flip();
            crc.update(buffer);
            buffer.clear();
        }
        return new Digest(total, crc.getValue());
    }
}
