package dev.ferry.jmh;

import dev.ferry.transport.MigrationChannel;
import dev.ferry.transport.MigrationListener;
import dev.ferry.transport.Transports;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/** Both ends of one connection over a Ferry transport, in this JVM: a benchmark writes, a drain reads. */
record ChannelPair(MigrationChannel sender, MigrationChannel receiver) {

    /** Listens on {@code uri} (e.g. {@code tcp:127.0.0.1:0}), connects to it and accepts. */
    static ChannelPair open(String uri, Duration timeout) throws IOException {
        try (MigrationListener listener = Transports.listen(uri)) {
            CompletableFuture<MigrationChannel> accepted = CompletableFuture.supplyAsync(() -> {
                try {
                    return listener.accept(timeout);
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            MigrationChannel sender = Transports.connect(listener.boundUri(), timeout);
            return new ChannelPair(sender, accepted.join());
        }
    }

    /** Reads {@code source} to end-of-stream on a virtual thread; completes with the bytes read. */
    static CompletableFuture<Long> drain(ReadableByteChannel source, int bufferBytes) {
        return CompletableFuture.supplyAsync(() -> {
            ByteBuffer buffer = ByteBuffer.allocateDirect(bufferBytes);
            long total = 0;
            try {
                for (int n; (n = source.read(buffer.clear())) >= 0; ) {
                    total += n;
                }
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            return total;
        }, Thread::startVirtualThread);
    }
}
