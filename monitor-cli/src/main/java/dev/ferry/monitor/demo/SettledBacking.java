package dev.ferry.monitor.demo;

import dev.ferry.blockmig.BackingIdentity;
import dev.ferry.vm.block.BlockDevice;
import dev.ferry.vm.block.BlockImages;
import dev.ferry.vm.block.ImageFormat;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The incremental demo's backing file made to stand for what it models, a long-lived backing file
 * (a golden image): an earlier migration hashed that one, and its identity waits beside it, so a
 * migration reads it in milliseconds. The demo's file is new, so the demo hashes it itself, while
 * the destination starts, through the cache every migration uses ({@link BackingIdentity#of}),
 * and only once the file has stayed unchanged long enough for that cache to keep the identity on
 * disk; the source VM starts after that, and reads the identity as it would a long-lived one's. Its rules stay whole: both sides still compare identities, and a file changed after the hash
 * has another key and is hashed again by the migration.
 */
final class SettledBacking {

    private static final Logger LOG = LoggerFactory.getLogger(SettledBacking.class);

    private final Thread hashing;

    private SettledBacking(Thread hashing) {
        this.hashing = hashing;
    }

    /** Starts hashing {@code backing} (a raw image) in the background once it has settled. */
    static SettledBacking start(Path backing) {
        return new SettledBacking(Thread.ofPlatform().name("demo-backing-identity").daemon().start(() -> {
            try (BlockDevice device = BlockImages.open(backing, ImageFormat.RAW, true)) {
                Duration wait = Duration.between(Instant.now(), BackingIdentity.keptFrom(device));
                if (wait.isPositive()) {
                    Thread.sleep(wait.plusMillis(10));
                }
                BackingIdentity.of(device);
            } catch (IOException e) {
                LOG.debug("backing file {}: identity not kept ({}); the migration hashes it", backing, e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }));
    }

    /** Waits until the identity is kept (or could not be). */
    void await() throws InterruptedException {
        hashing.join();
    }
}
