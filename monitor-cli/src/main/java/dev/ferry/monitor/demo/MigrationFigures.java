package dev.ferry.monitor.demo;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The figures the demo reads out of the source's {@code info migrate} (and one of the destination's). */
record MigrationFigures(String status, String detail, long totalMillis, long downtimeMillis, long wireBytes, long remainingBytes,
                        long diskBytes, long ramBytes, long iterations) {

    private static final Pattern STATUS = Pattern.compile("^Migration status: (\\w+)(?: \\((.*)\\))?");
    private static final Pattern TOTAL = Pattern.compile("^total time: (\\d+) ms");
    private static final Pattern DOWNTIME = Pattern.compile("^downtime: (\\d+) ms");
    private static final Pattern TRANSFERRED = Pattern.compile("^transferred: (\\d+) bytes");
    private static final Pattern ITERATIONS = Pattern.compile("^dirty sync count: (\\d+)");
    private static final Pattern REMAINING = Pattern.compile("^remaining: (\\d+) bytes");
    private static final Pattern SECTION = Pattern.compile("^section (\\S+): transferred (\\d+) bytes");
    private static final Pattern START_AFTER_ACK = Pattern.compile("^start after ACK: (\\d+) ms");

    static MigrationFigures parse(List<String> lines) {
        String status = "none";
        String detail = "";
        long total = 0;
        long downtime = -1;
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
        return new MigrationFigures(status, detail, total, downtime, wire, remaining, disk, ram, iterations);
    }

    /**
     * From the destination's {@code info migrate}: how long after its ACK its vCPUs started, the
     * end of the guest's pause that the source's downtime leaves out; -1 if it does not say.
     */
    static long startAfterAckMillis(List<String> destinationLines) {
        for (String line : destinationLines) {
            Matcher m = START_AFTER_ACK.matcher(line);
            if (m.find()) {
                return Long.parseLong(m.group(1));
            }
        }
        return -1;
    }

    boolean ended() {
        return status.equals("completed") || status.equals("failed") || status.equals("cancelled");
    }
}
