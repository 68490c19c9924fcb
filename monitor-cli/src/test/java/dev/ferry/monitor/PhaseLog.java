package dev.ferry.monitor;

import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * Where a slow IT's time goes: each {@link #mark} prints the wall-clock time, the seconds since the
 * previous mark and what just finished, to the test's output (in CI's nested KVM stage,
 * target/kvm-reports/failsafe/*-output.txt).
 */
final class PhaseLog {

    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss.SSS", Locale.ROOT);

    private final String name;
    private long last = System.nanoTime();

    PhaseLog(String name) {
        this.name = name;
        System.out.printf(Locale.ROOT, "phase %s %s: begins%n", LocalTime.now().format(CLOCK), name);
    }

    /** Prints that {@code what} finished, with the seconds it took since the previous mark. */
    void mark(String what) {
        long now = System.nanoTime();
        System.out.printf(Locale.ROOT, "phase %s %s: %6.1f s %s%n", LocalTime.now().format(CLOCK), name, (now - last) / 1e9, what);
        last = now;
    }
}
