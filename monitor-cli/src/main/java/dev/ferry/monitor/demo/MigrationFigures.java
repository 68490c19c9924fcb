package dev.ferry.monitor.demo;

import dev.ferry.monitor.hmp.MigrationInfo;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The figures the demo reads out of the source's {@code info migrate} (and the destination's start out of its own). */
record MigrationFigures(String status, String detail, long totalMillis, long downtimeMillis, Optional<Instant> pausedAt,
                        long wireBytes, long remainingBytes, long diskBytes, long ramBytes, long iterations) {

    private static final Pattern STATUS = Pattern.compile("^Migration status: (\\w+)(?: \\((.*)\\))?");
    private static final Pattern TOTAL = Pattern.compile("^total time: (\\d+) ms");
    private static final Pattern DOWNTIME = Pattern.compile("^downtime: (\\d+) ms");
    private static final Pattern TRANSFERRED = Pattern.compile("^transferred: (\\d+) bytes");
    private static final Pattern ITERATIONS = Pattern.compile("^dirty sync count: (\\d+)");
    private static final Pattern REMAINING = Pattern.compile("^remaining: (\\d+) bytes");
    private static final Pattern SECTION = Pattern.compile("^section (\\S+): transferred (\\d+) bytes");
    private static final Pattern PAUSED_AT = Pattern.compile("^guest paused at: (\\S+)");
    private static final Pattern START_AFTER_ACK = Pattern.compile("^start after ACK: (\\d+) ms");
    private static final Pattern STARTED_AT = Pattern.compile("^guest started at: (\\S+)");

    static MigrationFigures parse(List<String> lines) {
        String status = "none";
        String detail = "";
        long total = 0;
        long downtime = -1;
        Optional<Instant> pausedAt = Optional.empty();
        long wire = 0;
        long remaining = 0;
        long disk = 0;
        long ram = 0;
        long iterations = 0;
        for (String line : lines) {
            Matcher m;
            if ((m = STATUS.matcher(line)).find()) {
                status = m.group(1);
                detail = m.group(2) == null ? "" : m.group(2);
            } else if ((m = TOTAL.matcher(line)).find()) {
                total = Long.parseLong(m.group(1));
            } else if ((m = DOWNTIME.matcher(line)).find()) {
                downtime = Long.parseLong(m.group(1));
            } else if ((m = PAUSED_AT.matcher(line)).find()) {
                pausedAt = instant(m.group(1));
            } else if ((m = TRANSFERRED.matcher(line)).find()) {
                wire = Long.parseLong(m.group(1));
            } else if ((m = ITERATIONS.matcher(line)).find()) {
                iterations = Long.parseLong(m.group(1));
            } else if ((m = REMAINING.matcher(line)).find()) {
                remaining = Long.parseLong(m.group(1));
            } else if ((m = SECTION.matcher(line)).find()) {
                long bytes = Long.parseLong(m.group(2));
                if (m.group(1).startsWith("block:")) {
                    disk += bytes;
                } else if (m.group(1).equals("ram")) {
                    ram += bytes;
                }
            }
        }
        return new MigrationFigures(status, detail, total, downtime, pausedAt, wire, remaining, disk, ram, iterations);
    }

    /** From the destination's {@code info migrate}: when and how long after its ACK its vCPUs started, if it says. */
    static Optional<MigrationInfo.IncomingStart> destinationStart(List<String> destinationLines) {
        Optional<Duration> afterAck = Optional.empty();
        Optional<Instant> at = Optional.empty();
        for (String line : destinationLines) {
            Matcher m;
            if ((m = START_AFTER_ACK.matcher(line)).find()) {
                afterAck = Optional.of(Duration.ofMillis(Long.parseLong(m.group(1))));
            } else if ((m = STARTED_AT.matcher(line)).find()) {
                at = instant(m.group(1));
            }
        }
        Optional<Instant> started = at;
        return afterAck.flatMap(after -> started.map(when -> new MigrationInfo.IncomingStart(after, when)));
    }

    private static Optional<Instant> instant(String text) {
        try {
            return Optional.of(Instant.parse(text));
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    boolean ended() {
        return status.equals("completed") || status.equals("failed") || status.equals("cancelled");
    }
}
