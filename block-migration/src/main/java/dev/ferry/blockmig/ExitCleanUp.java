package dev.ferry.blockmig;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What becomes of a disk copy rehearsal's files when the process ends during it (quit, SIGTERM,
 * a destination exiting on a refused stream): a shutdown hook tells the rehearsal to give way,
 * waits a moment for it to end and delete its own files, and deletes what is still there. A
 * rehearsal registers one before it makes its first file and, once the process is ending, cannot:
 * then it makes none and does not start. ({@code File.deleteOnExit} initialized the JDK's own hook
 * on first use, and on first use late in the shutdown failed with a trace on stderr.)
 */
final class ExitCleanUp {

    private static final Logger LOG = LoggerFactory.getLogger(ExitCleanUp.class);
    /** How long the process's exit waits for a rehearsal to end by itself. */
    private static final Duration GRACE = Duration.ofSeconds(1);
    private static volatile boolean processEnds;

    private final CountDownLatch ended = new CountDownLatch(1);
    private final Thread hook = Thread.ofPlatform().name("rehearsal-exit").unstarted(this::atExit);
    private volatile List<Path> files = List.of();

    /** True once the process began to end: a rehearsal's failure then is no news. */
    static boolean processEnds() {
        return processEnds;
    }

    /** Registers the hook; false if the process is already ending. */
    boolean register() {
        try {
            Runtime.getRuntime().addShutdownHook(hook);
            return true;
        } catch (IllegalStateException e) {
            return false;
        }
    }

    /** The files the hook deletes if the rehearsal does not, in that order: a directory after what it holds. */
    void guard(List<Path> scratch) {
        files = List.copyOf(scratch);
    }

    /** The rehearsal ended and deleted its files: the hook is not needed. */
    void ended() {
        ended.countDown();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // The process is ending: the hook runs, finds the rehearsal ended, and has nothing to do.
        }
    }

    private void atExit() {
        processEnds = true;
        try {
            if (!ended.await(GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                DiskCopyRehearsal.deleteAll(files);
            }
        } catch (IOException | InterruptedException e) {
            LOG.debug("a disk copy rehearsal's files not all deleted at exit: {}", e.toString());
        }
    }
}
