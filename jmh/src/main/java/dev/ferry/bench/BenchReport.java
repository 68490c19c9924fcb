package dev.ferry.bench;

import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.SequencedMap;
import java.util.function.ToDoubleFunction;

/**
 * A bench run's figures: per scenario the median and spread of its time, data rate, wire share
 * and downtime; the ratios the issue asks for; the targets met or missed. Printed as a table and
 * written as JSON from the same numbers.
 */
final class BenchReport {

    private static final String ROW = "%-40s %-22s %-22s %-7s %-20s %s%n";

    private final ZonedDateTime date;
    private final MachineInfo machine;
    private final int repetitions;
    private final List<ScenarioResult> results;

    BenchReport(ZonedDateTime date, MachineInfo machine, int repetitions, List<ScenarioResult> results) {
        this.date = date;
        this.machine = machine;
        this.repetitions = repetitions;
        this.results = List.copyOf(results);
    }

    private ScenarioResult result(String id) {
        return results.stream().filter(r -> r.scenario().id().equals(id)).findFirst().orElse(null);
    }

    private double median(String id, ToDoubleFunction<RunResult> figure) {
        ScenarioResult result = result(id);
        return result == null ? Double.NaN : result.spread(figure).median();
    }

    /** Median rate of the raw copy: what a plain copy of bytes does on this machine. */
    double ceiling() {
        return median("a", RunResult::dataMegabytesPerSecond);
    }

    /** A scenario's median data rate over the ceiling's. */
    double vsCeiling(String id) {
        return median(id, RunResult::dataMegabytesPerSecond) / ceiling();
    }

    /** {@code id}'s median total time over {@code base}'s. */
    double timeOver(String id, String base) {
        return median(id, RunResult::totalMs) / median(base, RunResult::totalMs);
    }

    private double diskRatio(String id, String base) {
        ScenarioResult a = result(id);
        ScenarioResult b = result(base);
        return a == null || b == null ? Double.NaN : (double) a.scenario().diskBytes() / b.scenario().diskBytes();
    }

    /** What a run is judged by: the figures issue 15 (speed) and issue 17 (TLS) ask for. */
    List<Target> targets() {
        return List.of(
                new Target("(b) non-zero data rate / ceiling (a)", vsCeiling("b"), 0.70, false),
                new Target("(b) wire bytes / disk bytes", median("b", RunResult::wireShare), 0.55, true),
                new Target("(b) downtime ms, idle guest", median("b", RunResult::downtimeMs), 20, true),
                new Target("(c) downtime ms, guest writing 8 MiB/s", median("c", RunResult::downtimeMs), 50, true),
                new Target("(h) time / (g) time (a tenth of the data)", timeOver("h", "g"), 1.0 / 8, true),
                new Target("QEMU (q) time / Ferry (b) time", timeOver("q", "b"), 2, false),
                new Target("(f) TLS data rate / plain (b)", tlsOverPlain(), 0.80, false));
    }

    /** The TLS copy's median data rate over the same copy's in the clear. */
    double tlsOverPlain() {
        return median("f", RunResult::dataMegabytesPerSecond) / median("b", RunResult::dataMegabytesPerSecond);
    }

    /** True if every run of every scenario succeeded. */
    boolean allRunsSucceeded() {
        return results.stream().allMatch(r -> r.failures().isEmpty());
    }

    String table() {
        StringBuilder out = new StringBuilder();
        out.append("Ferry bench ").append(date.toLocalDateTime().withNano(0)).append(", ").append(repetitions)
                .append(" run(s) each, median [min..max]\n").append(machine.summary()).append("\n\n");
        out.append(String.format(Locale.ROOT, ROW, "scenario", "time s", "data MB/s", "vs (a)", "wire/disk", "downtime ms"));
        for (ScenarioResult result : results) {
            Scenario scenario = result.scenario();
            out.append(String.format(Locale.ROOT, ROW, "(" + scenario.id() + ") " + scenario.title(),
                    result.spread(r -> r.totalMs() / 1e3).format(2),
                    result.spread(RunResult::dataMegabytesPerSecond).format(0),
                    decimals(vsCeiling(scenario.id()), 2),
                    result.spread(RunResult::wireShare).format(3),
                    result.spread(RunResult::downtimeMs).format(1)));
        }
        ScenarioResult raw = result("a");
        if (raw != null) {
            out.append(String.format(Locale.ROOT, "%n(a) of its time, the receiver's final fsync: %s ms; without it: %s MB/s%n",
                    raw.spread(RunResult::syncMs).format(0),
                    raw.spread(RunResult::unsyncedMegabytesPerSecond).format(0)));
        }
        out.append("(q) QEMU / (b) Ferry time: ").append(decimals(timeOver("q", "b"), 2)).append('\n');
        out.append("(d) / (b) time: ").append(decimals(timeOver("d", "b"), 3)).append("   (e) / (b) time: ")
                .append(decimals(timeOver("e", "b"), 2)).append(" for a disk ").append(decimals(diskRatio("e", "b"), 0))
                .append("x as large\n");
        out.append("(h) / (g) time, no guest, a tenth of the data: ").append(decimals(timeOver("h", "g"), 3)).append('\n');
        out.append("(f) TLS / (b) plain data rate: ").append(decimals(tlsOverPlain(), 2)).append('\n');
        out.append("\ntargets (medians):\n");
        targets().forEach(t -> out.append("  ").append(t.format()).append('\n'));
        for (ScenarioResult result : results) {
            result.failures().forEach(f -> out.append("FAILED ").append(f).append('\n'));
        }
        return out.toString();
    }

    /** {@code value} with {@code n} decimals, or "-" when it could not be measured. */
    private static String decimals(double value, int n) {
        return Double.isNaN(value) ? "-" : String.format(Locale.ROOT, "%." + n + "f", value);
    }

    SequencedMap<String, Object> toJson() {
        SequencedMap<String, Object> json = new LinkedHashMap<>();
        json.put("date", date.toOffsetDateTime().withNano(0).toString());
        json.put("machine", machine.toJson());
        json.put("repetitions", repetitions);
        json.put("ceiling_mb_per_s", ceiling());
        List<Object> scenarios = new ArrayList<>();
        for (ScenarioResult result : results) {
            SequencedMap<String, Object> s = new LinkedHashMap<>();
            s.put("id", result.scenario().id());
            s.put("title", result.scenario().title());
            s.put("total_ms", result.spread(RunResult::totalMs).toJson());
            s.put("data_mb_per_s", result.spread(RunResult::dataMegabytesPerSecond).toJson());
            s.put("vs_ceiling", vsCeiling(result.scenario().id()));
            s.put("wire_share", result.spread(RunResult::wireShare).toJson());
            s.put("downtime_ms", result.spread(RunResult::downtimeMs).toJson());
            s.put("runs", result.runs().stream().map(RunResult::reported).toList());
            s.put("failures", result.failures());
            scenarios.add(s);
        }
        json.put("scenarios", scenarios);
        SequencedMap<String, Object> ratios = new LinkedHashMap<>();
        ratios.put("d_over_b_time", timeOver("d", "b"));
        ratios.put("e_over_b_time", timeOver("e", "b"));
        ratios.put("h_over_g_time", timeOver("h", "g"));
        ratios.put("qemu_over_b_time", timeOver("q", "b"));
        json.put("ratios", ratios);
        json.put("targets", targets().stream().map(Target::toJson).toList());
        return json;
    }
}
