package dev.ferry.monitor.hmp;

import dev.ferry.savevm.MigrationState;
import dev.ferry.savevm.MigrationStats;
import dev.ferry.savevm.SectionStats;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Turns a migration's statistics into the lines {@code info migrate} prints, QEMU style. */
public final class MigrationReport {

    private MigrationReport() {
    }

    public static List<String> lines(MigrationStats stats) {
        List<String> lines = new ArrayList<>();
        lines.add("Migration status: " + status(stats.state()));
        lines.add("total time: " + millis(stats.totalTime()));
        lines.add("setup: " + millis(stats.setupTime()));
        lines.add("expected downtime: " + millis(stats.expectedDowntime()));
        stats.actualDowntime().ifPresent(d -> lines.add("downtime: " + millis(d)));
        lines.add("transferred: " + bytes(stats.transferredBytes()));
        lines.add("remaining: " + bytes(stats.remainingBytes()));
        lines.add("throughput: " + rate(stats.throughput()));
        lines.add("dirty rate: " + rate(stats.dirtyRate()));
        lines.add("iterations: " + stats.iterations());
        lines.add("max bandwidth: " + (stats.maxBandwidth() == Long.MAX_VALUE ? "unlimited" : rate(stats.maxBandwidth())));
        lines.add("downtime limit: " + millis(stats.downtimeLimit()));
        lines.add("throttle level: " + stats.throttleLevel()
                + (stats.throttleReason().isEmpty() ? "" : " (" + stats.throttleReason() + ")"));
        for (SectionStats section : stats.sections()) {
            lines.add(String.format(Locale.ROOT, "section %s: transferred %s, remaining %s",
                    section.id().idstr(), bytes(section.transferredBytes()), bytes(section.remainingBytes())));
        }
        return lines;
    }

    private static String status(MigrationState state) {
        return state instanceof MigrationState.Failed failed
                ? "failed (" + failed.phase().name().toLowerCase(Locale.ROOT) + ": " + failed.reason() + ")"
                : state.status();
    }

    /** Exact for scripts, readable for people: {@code 35546112 bytes (33.9 MiB)}. */
    private static String bytes(long count) {
        return count + " bytes (" + Sizes.human(count) + ")";
    }

    private static String millis(Duration duration) {
        return duration.toMillis() + " ms";
    }

    private static String rate(long bytesPerSecond) {
        return Sizes.human(bytesPerSecond) + "/s";
    }
}
