package dev.ferry.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The bench behind {@code bench/run}: the raw ceiling, seven {@code ferry demo} migrations and QEMU's, each
 * run several times on this machine, repetitions interleaved (a b c d e a b c d e ...) so that a
 * slow spell of a shared machine does not land on one scenario only. Prints the table and writes
 * {@code <results>/<date>.json}; each run's output stays in {@code <results>/<date>-logs/}.
 *
 * <pre>
 * BenchMain --ferry PATH [--runs N] [--quick] [--only abcdefghq] [--large-disk SIZE] [--profile] [--results DIR]
 *           [--timeout SECONDS] [--qemu PATH] [--settle SECONDS]
 * </pre>
 *
 * Before every run the bench waits {@code --settle} seconds (default {@value #SETTLE_SECONDS}), so
 * that no run writes into memory the run before freed just now: this machine is a guest whose freed
 * pages go back to its host within seconds (free page reporting), and a page touched after that
 * costs a fault in the host. Without the pause the ceiling (a), which starts within a second of the
 * previous run's delete, wrote into warm pages, while a demo's destination, which writes seconds
 * after its start (it makes the source disk and starts two VMs first), found them cold.
 *
 * {@code --profile} records every process with JFR into the logs folder ({@code JDK_JAVA_OPTIONS}).
 * Exit status 1 if any run failed, 2 on bad arguments.
 */
public final class BenchMain {

    private static final long GIB = 1L << 30;
    static final int SETTLE_SECONDS = 5;

    private BenchMain() {
    }

    /**
     * The scenarios: the ceiling, seven demos ((f) is (b) over TLS; (g) and (h) move a disk without
     * a guest), and QEMU's block migration as the reference; {@code largeDisk} is the disk of (e) (4 GiB unless told otherwise).
     */
    static List<Scenario> scenarios(long largeDisk, String qemu) {
        return List.of(
                new RawCeiling("a", GIB),
                demo("b", "full copy 1G, idle guest", GIB, "--mode", "full", "--guest-write-rate", "0"),
                demo("c", "full copy 1G, guest writes 8M/s", GIB, "--mode", "full", "--guest-write-rate", "8M"),
                demo("d", "incremental 100M over a 1G backing", GIB, "--mode", "inc", "--inc-data", "100M",
                        "--guest-write-rate", "0"),
                demo("e", "full copy " + Sizes.format(largeDisk) + ", idle guest", largeDisk, "--mode", "full",
                        "--guest-write-rate", "0"),
                demo("f", "full copy 1G over TLS, idle guest", GIB, "--mode", "full", "--guest-write-rate", "0", "--tls"),
                // Issue 15's incremental target, as it words it: a tenth of a full copy's data. Without
                // a guest, whose RAM moves in both and alone keeps (d)-like rows above 1/8 of (b).
                demo("g", "full copy 1G, no guest", GIB, "--machine", "none", "--mode", "full", "--guest-write-rate", "0"),
                demo("h", "incremental 51M over 1G, no guest", GIB, "--machine", "none", "--mode", "inc",
                        "--inc-data", "51M", "--guest-write-rate", "0"),
                new QemuBlockMigration("q", GIB, qemu));
    }

    private static DemoMigration demo(String id, String title, long diskBytes, String... options) {
        List<String> args = new ArrayList<>(List.of("--transport", "tcp", "--disk-size", Sizes.format(diskBytes)));
        args.addAll(List.of(options));
        return new DemoMigration(id, title, diskBytes, args);
    }

    public static void main(String[] args) throws Exception {
        Options options;
        try {
            options = Options.parse(args, System.getenv("FERRY_BENCH_RUNS"));
        } catch (IllegalArgumentException e) {
            System.err.println("bench: " + e.getMessage());
            System.exit(2);
            return;
        }
        System.exit(run(options) ? 0 : 1);
    }

    private static boolean run(Options options) throws IOException, InterruptedException {
        ZonedDateTime date = ZonedDateTime.now();
        String stamp = date.format(DateTimeFormatter.ofPattern("yyyy-MM-dd-HHmm", Locale.ROOT));
        Path logs = Files.createDirectories(options.results().resolve(stamp + "-logs"));
        Path work = Files.createTempDirectory("ferry-bench");
        Map<String, String> env = options.profile()
                ? Map.of("JDK_JAVA_OPTIONS", "-XX:StartFlightRecording=filename=" + logs + "/,settings=profile")
                : Map.of();
        BenchContext context = new BenchContext(Path.of(ProcessHandle.current().info().command().orElse("java")),
                System.getProperty("java.class.path"), options.ferry(), work, logs, env, options.timeout());
        MachineInfo machine = MachineInfo.probe();
        List<ScenarioResult> results = scenarios(options.largeDisk(), options.qemu()).stream()
                .filter(s -> options.only().contains(s.id())).map(ScenarioResult::new).toList();
        try {
            for (int run = 1; run <= options.runs(); run++) {
                for (ScenarioResult result : results) {
                    Thread.sleep(options.settle().toMillis());
                    runOnce(context, result, run, options.runs());
                }
            }
        } finally {
            deleteTree(work);
        }
        BenchReport report = new BenchReport(date, machine, options.runs(), results);
        System.out.print(report.table());
        Path json = options.results().resolve(stamp + ".json");
        Files.writeString(json, Json.write(report.toJson()) + "\n");
        System.out.println("\nresults: " + json + "   logs: " + logs);
        return report.allRunsSucceeded();
    }

    private static void runOnce(BenchContext context, ScenarioResult result, int run, int runs)
            throws IOException, InterruptedException {
        Scenario scenario = result.scenario();
        String label = String.format(Locale.ROOT, "(%s) %s, run %d/%d", scenario.id(), scenario.title(), run, runs);
        try {
            RunResult measured = scenario.run(context, run);
            result.runs().add(measured);
            System.err.printf(Locale.ROOT, "%s: %.2f s, %.0f MB/s of data, wire/disk %.3f, downtime %.1f ms%n", label,
                    measured.totalMs() / 1e3, measured.dataMegabytesPerSecond(), measured.wireShare(), measured.downtimeMs());
        } catch (BenchException e) {
            result.failures().add(e.getMessage());
            System.err.println(label + ": FAILED: " + e.getMessage());
        }
    }

    /** Deletes {@code root} and everything below it. */
    static void deleteTree(Path root) throws IOException {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }

    /** The command line, checked. */
    record Options(Path ferry, int runs, String only, long largeDisk, boolean profile, Path results, Duration timeout,
                   String qemu, Duration settle) {

        static Options parse(String[] args, String runsFromEnv) {
            Path ferry = null;
            int runs = runsFromEnv == null || runsFromEnv.isBlank() ? 3 : positive("FERRY_BENCH_RUNS", runsFromEnv);
            String only = "abcdefghq";
            String qemu = "qemu-system-x86_64";
            long largeDisk = 4 * GIB;
            boolean profile = false;
            Path results = Path.of("bench", "results");
            Duration timeout = Duration.ofMinutes(5);
            Duration settle = Duration.ofSeconds(SETTLE_SECONDS);
            for (int i = 0; i < args.length; i++) {
                String arg = args[i];
                switch (arg) {
                    case "--quick" -> runs = 1;
                    case "--profile" -> profile = true;
                    case "--ferry" -> ferry = Path.of(value(args, ++i, arg));
                    case "--runs" -> runs = positive(arg, value(args, ++i, arg));
                    case "--only" -> only = value(args, ++i, arg);
                    case "--large-disk" -> largeDisk = Sizes.parse(value(args, ++i, arg));
                    case "--results" -> results = Path.of(value(args, ++i, arg));
                    case "--timeout" -> timeout = Duration.ofSeconds(positive(arg, value(args, ++i, arg)));
                    case "--qemu" -> qemu = value(args, ++i, arg);
                    case "--settle" -> settle = Duration.ofSeconds(nonNegative(arg, value(args, ++i, arg)));
                    default -> throw new IllegalArgumentException("unknown option '" + arg + "'; options: --ferry PATH"
                            + " --runs N --quick --only LETTERS --large-disk SIZE --profile --results DIR --timeout SECONDS --qemu PATH"
                            + " --settle SECONDS");
                }
            }
            if (ferry == null || !Files.isExecutable(ferry)) {
                throw new IllegalArgumentException("--ferry must name the ferry launcher (monitor-cli/target/ferry/bin/ferry),"
                        + " got " + ferry);
            }
            if (!only.matches("[a-hq]+")) {
                throw new IllegalArgumentException("--only takes scenario letters a to h and q, got '" + only + "'");
            }
            return new Options(ferry, runs, only, largeDisk, profile, results, timeout, qemu, settle);
        }

        private static String value(String[] args, int i, String option) {
            if (i >= args.length) {
                throw new IllegalArgumentException(option + " needs a value");
            }
            return args[i];
        }

        private static int positive(String name, String text) {
            return atLeast(1, name, text, "a positive whole number");
        }

        private static int nonNegative(String name, String text) {
            return atLeast(0, name, text, "a whole number of at least 0");
        }

        private static int atLeast(int least, String name, String text, String what) {
            try {
                int n = Integer.parseInt(text.strip());
                if (n >= least) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw new IllegalArgumentException(name + " must be " + what + ", got '" + text + "'");
        }
    }
}
