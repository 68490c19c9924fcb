package dev.ferry.monitor.vm;

import dev.ferry.vm.migration.RamCopyTraining;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gets a guest RAM copy's code compiled before a process sends or receives one ({@link
 * RamCopyTraining#warmUp}). A warm-up that fails only leaves that code cold: the migration reports
 * its own failures.
 */
final class RamWarmUp {

    private static final Logger LOG = LoggerFactory.getLogger(RamWarmUp.class);

    private RamWarmUp() {
    }

    static void run() {
        long started = System.nanoTime();
        try {
            RamCopyTraining.warmUp();
            LOG.debug("RAM copy warmed up in {} ms", (System.nanoTime() - started) / 1_000_000);
        } catch (IOException | RuntimeException e) {
            LOG.debug("RAM copy not warmed up ({})", e.toString());
        }
    }
}
