package dev.ferry.monitor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The fault-injection suite's tally: how often each fault was injected and how often Ferry came
 * through with every check passing. Runs per fault come from {@code -Dferry.fault.runs=N} or
 * {@code FERRY_FAULT_RUNS} (default 1, the CI setting). {@link #write} prints the table and keeps
 * it in {@code target/fault-summary.md}; every test class calls it when done, so the file always
 * holds all faults run in this JVM.
 */
final class FaultSummary {

    /** One injection: throws if Ferry did not come through. */
    @FunctionalInterface
    interface Run {
        void run(int index) throws Exception;
    }

    private record Tally(int runs, int survived) {
    }

    private static final Map<String, Tally> TALLIES = new LinkedHashMap<>();

    private FaultSummary() {
    }

    /** Runs per fault for this suite run. */
    static int runs() {
        String value = System.getProperty("ferry.fault.runs", System.getenv().getOrDefault("FERRY_FAULT_RUNS", "1"));
        int runs = Integer.parseInt(value.strip());
        if (runs < 1) {
            throw new IllegalArgumentException("ferry.fault.runs / FERRY_FAULT_RUNS must be at least 1, not " + value);
        }
        return runs;
    }

    /**
     * Injects {@code fault} {@code runs} times, tallying each; after the last run rethrows the
     * first failure (later ones are suppressed into it).
     */
    static void repeat(String fault, int runs, Run body) throws Exception {
        Exception first = null;
        for (int i = 0; i < runs; i++) {
            boolean survived = false;
            try {
                body.run(i);
                survived = true;
            } catch (Exception | AssertionError e) {
                Exception failure = e instanceof Exception ex ? ex : new Exception(fault + ", run " + (i + 1), e);
                if (first == null) {
                    first = failure;
                } else {
                    first.addSuppressed(failure);
                }
            } finally {
                record(fault, survived);
            }
        }
        if (first != null) {
            throw first;
        }
    }

    private static synchronized void record(String fault, boolean survived) {
        Tally tally = TALLIES.getOrDefault(fault, new Tally(0, 0));
        TALLIES.put(fault, new Tally(tally.runs() + 1, tally.survived() + (survived ? 1 : 0)));
    }

    /** The table so far, as Markdown. */
    static synchronized String table() {
        StringBuilder text = new StringBuilder();
        text.append(String.format(Locale.ROOT, "Fault-injection summary, %s, %d run(s) per fault%n%n", LocalDate.now(), runs()));
        text.append("| fault | runs | survived |\n|---|---:|---:|\n");
        int runs = 0;
        int survived = 0;
        for (Map.Entry<String, Tally> entry : TALLIES.entrySet()) {
            Tally tally = entry.getValue();
            text.append(String.format(Locale.ROOT, "| %s | %d | %d |%n", entry.getKey(), tally.runs(), tally.survived()));
            runs += tally.runs();
            survived += tally.survived();
        }
        text.append(String.format(Locale.ROOT, "| **all** | %d | %d |%n", runs, survived));
        return text.toString();
    }

    /** Prints the table (into the failsafe output) and writes it to target/fault-summary.md. */
    static void write() {
        String table = table();
        System.out.println(table);
        try {
            Files.writeString(Path.of("target", "fault-summary.md"), table, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
