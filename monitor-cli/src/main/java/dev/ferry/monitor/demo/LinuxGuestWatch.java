package dev.ferry.monitor.demo;

import java.io.IOException;
import java.time.Duration;
import java.util.Optional;

/**
 * The demo's view of a Linux guest, through its console (LinuxConsole): when it is ready to move
 * (its init ticks, its records written), and, after the move, its own read-back of every record.
 */
final class LinuxGuestWatch {

    private static final long POLL_MILLIS = 500;

    private LinuxGuestWatch() {
    }

    /** Waits until the source's guest has written its records and ticks; fails with one line otherwise. */
    static void awaitReady(ChildVm source, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            // Warnings of the boot are not judged: what counts is that none follows the move.
            String text = LinuxConsole.read(source.serial());
            if (LinuxConsole.ticks(text).stream().anyMatch(tick -> tick.number() >= 2)) {
                return;
            }
            source.requireAlive();
            if (System.nanoTime() > deadline) {
                throw new IOException("the Linux guest printed no FERRY-TICK 2 within " + timeout.toSeconds()
                        + " s; the demo reads the console of the guest tools/linux-guest/build makes");
            }
            Thread.sleep(POLL_MILLIS);
        }
    }

    /** "verify ok: ..." once the moved guest has read back every record it wrote, else "FAILED: ..." naming why. */
    static String verdict(ChildVm destination, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            String text = LinuxConsole.read(destination.serial());
            Optional<String> trouble = LinuxConsole.trouble(text);
            if (trouble.isPresent()) {
                return "FAILED: the guest printed '" + trouble.get().strip() + "' after the move";
            }
            Optional<Integer> checked = LinuxConsole.verifiedAfterMove(text);
            if (checked.isPresent()) {
                return "verify ok: after the move the guest read back and verified all " + checked.get() + " records it wrote";
            }
            if (System.nanoTime() > deadline) {
                return "FAILED: the guest verified no records after the move within " + timeout.toSeconds() + " s";
            }
            Thread.sleep(POLL_MILLIS);
        }
    }
}
