package dev.ferry.example.blockcopy;

import dev.ferry.blockmig.BlockCopy;
import dev.ferry.blockmig.TargetImage;
import dev.ferry.savevm.IncomingStats;
import dev.ferry.savevm.MigrationChannel;
import dev.ferry.transport.MigrationListener;
import dev.ferry.transport.Transports;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** The receiving JVM: listens, tells the source where (one line on stdout), receives, verifies. */
final class Receiver {

    /** The line the source waits for; the bound URI follows it. */
    static final String LISTENING = "listening on ";

    private Receiver() {
    }

    /** Receives one disk into {@code image}; returns the exit status. */
    static int run(String uri, Path image) {
        try (MigrationListener listener = Transports.listen(uri)) {
            System.out.println(LISTENING + listener.boundUri());
            System.out.flush();
            MigrationChannel channel = MigrationChannel.duplex(listener.accept(Duration.ofSeconds(60)));
            // Blocks until EOF and every disk's digest matched; the source's ACK follows.
            IncomingStats stats = BlockCopy.receive(List.of(TargetImage.of("vda", image)), channel);
            System.out.println("received " + stats.bytes() + " stream bytes in " + stats.elapsed().toMillis()
                    + " ms; the digests matched");
            return 0;
        } catch (IOException e) {
            System.out.println("receive failed: " + e.getMessage());
            return 1;
        }
    }
}
