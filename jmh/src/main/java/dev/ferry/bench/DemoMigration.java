package dev.ferry.bench;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.SequencedMap;

/**
 * Scenarios (b) to (e): one {@code ferry demo --json} per run, which makes the disk, starts the
 * source and destination processes, migrates, verifies and prints its figures as one JSON line.
 * A run counts only if the demo exits 0 and reports the disk verified and the guest well.
 *
 * @param demoArgs the demo's options for this scenario, after {@code demo --json}
 */
record DemoMigration(String id, String title, long diskBytes, List<String> demoArgs) implements Scenario {

    @Override
    public RunResult run(BenchContext context, int run) throws IOException, InterruptedException, BenchException {
        List<String> command = new ArrayList<>(List.of(context.ferry().toString(), "demo", "--json"));
        command.addAll(demoArgs);
        String name = id + "-" + run;
        try (ChildProcess demo = ChildProcess.start(context, name + "-demo", command)) {
            SequencedMap<String, Object> reported = demo.awaitJson(System.nanoTime() + context.timeout().toNanos());
            for (String check : List.of("verified", "guest_ok")) {
                if (!Boolean.TRUE.equals(reported.get(check))) {
                    throw new BenchException(name + ": the demo reports " + check + "=" + reported.get(check));
                }
            }
            return new RunResult(number(reported, "total_ms", name), number(reported, "downtime_ms", name),
                    (long) number(reported, "disk_bytes", name), (long) number(reported, "wire_bytes", name),
                    (long) number(reported, "disk_sent_bytes", name), reported);
        }
    }

    private static double number(SequencedMap<String, Object> reported, String field, String name) throws BenchException {
        if (!(reported.get(field) instanceof Number value)) {
            throw new BenchException(name + ": the demo's JSON has no number '" + field + "': " + reported);
        }
        return value.doubleValue();
    }
}
