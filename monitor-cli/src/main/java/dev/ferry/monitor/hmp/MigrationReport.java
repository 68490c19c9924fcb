package dev.ferry.monitor.hmp;

import dev.ferry.savevm.MigrationStats;
import dev.ferry.savevm.SectionStats;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The lines {@code info migrate} prints: QEMU's fields in QEMU's words and units first (kbytes,
 * mbps, ms), then Ferry's own figures (exact byte counts, per-section and per-disk progress).
 */
public final class MigrationReport {

    private MigrationReport() {
    }

    public static List<String> lines(MigrationInfo info) {
        List<String> lines = new ArrayList<>();
        info.socketAddress().ifPresent(address -> {
            lines.add("socket address: [");
            lines.add("\t" + address);
            lines.add("]");
        });
        if (info.status().equals("none") && info.socketAddress().isPresent()) {
            return lines;
        }
        lines.add("Migration status: " + info.status() + info.failure().map(f -> " (" + f + ")").orElse(""));
        info.totalTime().ifPresent(t -> lines.add("total time: " + millis(t)));
        info.started().ifPresent(start -> {
            lines.add("start after ACK: " + millis(start.afterAck()));
            lines.add("guest started at: " + start.at());
        });
        info.source().ifPresent(source -> qemuFigures(source, lines));
        info.source().ifPresent(source -> ferryFigures(source.stats(), lines));
        return lines;
    }

    private static void qemuFigures(MigrationInfo.SourceFigures source, List<String> lines) {
        source.expectedDowntime().ifPresent(d -> lines.add("expected downtime: " + millis(d)));
        source.downtime().ifPresent(d -> lines.add("downtime: " + millis(d)));
        lines.add("setup: " + millis(source.setupTime()));
        lines.add("transferred ram: " + kbytes(source.ram().transferred()));
        lines.add(String.format(Locale.ROOT, "throughput: %.2f mbps", source.mbps()));
        lines.add("remaining ram: " + kbytes(source.ram().remaining()));
        lines.add("total ram: " + kbytes(source.ram().total()));
        lines.add("dirty sync count: " + source.dirtySyncCount());
        source.disk().ifPresent(disk -> {
            lines.add("transferred disk: " + kbytes(disk.transferred()));
            lines.add("remaining disk: " + kbytes(disk.remaining()));
            lines.add("total disk: " + kbytes(disk.total()));
        });
    }

    /** What QEMU does not show: the stream's exact bytes, rates, limits and each section. */
    private static void ferryFigures(MigrationStats stats, List<String> lines) {
        lines.add("transferred: " + bytes(stats.transferredBytes()));
        lines.add("remaining: " + bytes(stats.remainingBytes()));
        lines.add("dirty rate: " + rate(stats.dirtyRate()));
        lines.add("max bandwidth: " + (stats.maxBandwidth() == Long.MAX_VALUE ? "unlimited" : rate(stats.maxBandwidth())));
        lines.add("downtime limit: " + millis(stats.downtimeLimit()));
        lines.add("throttle level: " + stats.throttleLevel()
                + (stats.throttleReason().isEmpty() ? "" : " (" + stats.throttleReason() + ")"));
        if (!stats.downtimeNote().isEmpty()) {
            lines.add("downtime note: " + stats.downtimeNote());
        }
        lines.add("frame checksum: " + stats.frameChecksum());
        stats.pausedAt().ifPresent(at -> lines.add("guest paused at: " + at));
        for (SectionStats section : stats.sections()) {
            lines.add(String.format(Locale.ROOT, "section %s: transferred %s, remaining %s",
                    section.id().idstr(), bytes(section.transferredBytes()), bytes(section.remainingBytes())));
        }
    }

    /** Exact for scripts, readable for people: {@code 35546112 bytes (33.9 MiB)}. */
    private static String bytes(long count) {
        return count + " bytes (" + Sizes.human(count) + ")";
    }

    private static String kbytes(long count) {
        return (count >> 10) + " kbytes";
    }

    static String millis(Duration duration) {
        return duration.toMillis() + " ms";
    }

    private static String rate(long bytesPerSecond) {
        return Sizes.human(bytesPerSecond) + "/s";
    }
}
