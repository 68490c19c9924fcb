package dev.ferry.monitor.demo;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The console of the Linux test guest (tools/linux-guest/build), read back: its ticks, the records
 * its init reports written to its disk, its read-back passes over them, and any line saying the
 * kernel or the guest went wrong.
 */
public final class LinuxConsole {

    private static final Pattern TICK = Pattern.compile("FERRY-TICK (\\d+) uptime=([0-9.]+)");
    private static final Pattern WROTE = Pattern.compile("FERRY-DISK-WROTE ([0-9]+) ([0-9a-f]{64})");
    private static final Pattern CHECKED = Pattern.compile("FERRY-DISK-CHECKED records=(\\d+) ok");
    /**
     * What must not follow a move. The clocksource watchdog's "Long readout interval, skipping
     * watchdog check" may: the vCPU paused between its two reads, and the kernel says it skips.
     */
    private static final List<String> TROUBLE = List.of("Kernel panic", "soft lockup", "rcu: INFO",
            "self-detected stall", "as unstable", "WARNING:", "BUG:", "Call Trace", "Linux version", "I/O error",
            "FERRY-DISK-BAD", "FERRY-MODULE-FAILED");

    private LinuxConsole() {
    }

    /**
     * One "FERRY-TICK N uptime=S" line.
     *
     * @param number N, counting from 1 at boot
     * @param uptime S, the guest's /proc/uptime
     */
    public record Tick(long number, double uptime) {
    }

    /** The console file's text so far; empty before it exists. */
    public static String read(Path console) throws IOException {
        return Files.exists(console) ? Files.readString(console, StandardCharsets.UTF_8) : "";
    }

    /** Every tick in {@code text}, in order. */
    public static List<Tick> ticks(String text) {
        List<Tick> ticks = new ArrayList<>();
        Matcher m = TICK.matcher(text);
        while (m.find()) {
            ticks.add(new Tick(Long.parseLong(m.group(1)), Double.parseDouble(m.group(2))));
        }
        return ticks;
    }

    /** Record number to checksum, for every write {@code text} reports. */
    public static Map<Integer, String> written(String text) {
        Map<Integer, String> records = new HashMap<>();
        Matcher m = WROTE.matcher(text);
        while (m.find()) {
            records.put(Integer.parseInt(m.group(1)), m.group(2));
        }
        return records;
    }

    /** The first line of {@code text} naming trouble, if any. */
    public static Optional<String> trouble(String text) {
        return text.lines().filter(line -> TROUBLE.stream().anyMatch(line::contains)).findFirst();
    }

    /**
     * On a destination's console, {@code text}: the count N of the first read-back pass over records
     * 0..N-1 that began after the move, if one has passed. The first write the destination reports
     * may have begun on the source, its next one did not; a pass covering that one began after it.
     */
    public static Optional<Integer> verifiedAfterMove(String text) {
        Map<Integer, String> moved = written(text);
        if (moved.size() < 2) {
            return Optional.empty();
        }
        int beganAfterMove = Collections.min(moved.keySet()) + 1;
        Matcher m = CHECKED.matcher(text);
        while (m.find()) {
            int records = Integer.parseInt(m.group(1));
            if (records > beganAfterMove) {
                return Optional.of(records);
            }
        }
        return Optional.empty();
    }
}
