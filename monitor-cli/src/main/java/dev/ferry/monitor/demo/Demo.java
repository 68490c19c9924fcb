package dev.ferry.monitor.demo;

import dev.ferry.monitor.hmp.Sizes;
import dev.ferry.transport.ScratchCredentials;
import dev.ferry.vm.linux.LinuxBoot;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * {@code ferry demo}: a live migration with storage copy between two {@code ferry run}
 * processes on this host, then the guest's own verification on the destination. Everything it
 * makes lives in one temporary folder, removed at the end with the child processes.
 */
public final class Demo {

    private static final Duration PROGRESS_EVERY = Duration.ofMillis(500);
    /** The Linux guest's command line when --append gives none: its console on the UART, warnings and errors only. */
    public static final String LINUX_CMDLINE = "console=ttyS0 panic=-1 loglevel=5";
    /** The Linux guest's RAM. */
    public static final long LINUX_MEMORY_BYTES = 256L << 20;

    private final DemoSettings settings;
    private final Path ferry;
    private final PrintStream out;

    /**
     * A demo of {@code settings}, its VMs run by {@code ferry}, its report printed to {@code out}.
     *
     * @param settings what to show
     * @param ferry the launcher the two VMs run
     * @param out where the summary goes
     */
    public Demo(DemoSettings settings, Path ferry, PrintStream out) {
        this.settings = settings;
        this.ferry = ferry;
        this.out = out;
    }

    /** Runs the demo; returns the exit status (0 only if the migration completed and everything verified). */
    public int run() throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("ferry-demo-");
        try {
            return runIn(dir);
        } finally {
            deleteTree(dir);
        }
    }

    private int runIn(Path dir) throws IOException, InterruptedException {
        say("ferry demo: %s storage copy of a %s disk over %s, machine %s, guest writing %s", mode(),
                Sizes.human(settings.diskBytes()), settings.transport(), settings.machine(),
                settings.linux().isPresent() ? "a record every 2 s" : Sizes.human(settings.writeRate()) + "/s");
        Path source;
        List<String> destinationDisk;
        Optional<SettledBacking> settledBacking = Optional.empty();
        if (settings.mode().equals("inc")) {
            Path base = dir.resolve("base.raw");
            DemoDisks.halfRandom(base, settings.diskBytes(), 1);
            settledBacking = Optional.of(SettledBacking.start(base));
            source = dir.resolve("source.qcow2");
            DemoDisks.overlay(source, base, settings.incBytes(), 2);
            // Both sides run on this host, so they share the read-only backing file.
            destinationDisk = List.of("--disk", dir.resolve("destination.qcow2") + ",format=qcow2,id=vda,backing=" + base);
            say("  disk: overlay %s with %s of its own over backing %s (hashed before the migration, as a long-lived"
                    + " backing file was by an earlier one)", source.getFileName(), Sizes.human(settings.incBytes()), base.getFileName());
        } else {
            source = dir.resolve("source.raw");
            DemoDisks.halfRandom(source, settings.diskBytes(), 1);
            destinationDisk = List.of("--disk", dir.resolve("destination.raw") + ",format=raw,id=vda");
            say("  disk: %s, first half random data, second half zeroes", source.getFileName());
        }
        String format = settings.mode().equals("inc") ? "qcow2" : "raw";
        List<String> common = new ArrayList<>(List.of("--machine", settings.machine()));
        if (settings.linux().isPresent()) {
            LinuxBoot linux = settings.linux().get();
            common.addAll(List.of("-m", Long.toString(LINUX_MEMORY_BYTES >> 20) + "M", "--kernel", linux.kernel().toString(),
                    "--append", linux.cmdline()));
            linux.initrd().ifPresent(initrd -> common.addAll(List.of("--initrd", initrd.toString())));
            say("  guest: Linux %s%s, command line '%s'", linux.kernel().getFileName(),
                    linux.initrd().map(i -> " with " + i.getFileName()).orElse(""), linux.cmdline());
        } else {
            common.addAll(List.of("-m", Long.toString(settings.memoryBytes() >> 20) + "M",
                    "--workload-rate", Long.toString(settings.writeRate()), "--workload-mem-rate", Long.toString(settings.memRate())));
        }
        if (settings.verbose()) {
            common.add("-v");
        }
        if (settings.tls()) {
            Path creds = ScratchCredentials.newCa(dir.resolve("tls-ca"), "ferry-demo-ca").writeSet(dir.resolve("tls"));
            common.addAll(List.of("--tls-creds", creds.toString()));
            say("  TLS 1.3 with mutual x509 authentication, certificates from a scratch CA in %s", creds);
        }
        String[] uris = uris(dir);
        List<String> destinationArgs = new ArrayList<>(common);
        destinationArgs.addAll(destinationDisk);
        destinationArgs.addAll(List.of("--incoming", uris[1]));
        List<String> sourceArgs = new ArrayList<>(common);
        sourceArgs.addAll(List.of("--disk", source + ",format=" + format + ",id=vda"));
        try (ChildVm destination = ChildVm.start(ferry, dir, "destination", destinationArgs);
             ChildVm sourceVm = startSource(settledBacking, dir, sourceArgs)) {
            String target = settings.transport().equals("tcp") ? "tcp:" + tcpAddress(destination.incomingUri(Patience.seconds(30))) : uris[0];
            sourceVm.monitor();
            destination.monitor();
            if (settings.linux().isPresent()) {
                LinuxGuestWatch.awaitReady(sourceVm, settings.timeout());
                say("  guest: Linux ticks and has written its records on the source");
            } else {
                // The guest writes a while, and both processes prepare as a long-running VM would have.
                Thread.sleep(settings.runBefore());
            }
            List<String> answer = sourceVm.command("migrate -d " + (settings.mode().equals("inc") ? "-i " : "-b ") + quote(target));
            if (!answer.isEmpty()) {
                throw new IOException("migrate: " + String.join(" ", answer));
            }
            MigrationFigures figures = follow(sourceVm);
            boolean completed = figures.status().equals("completed");
            boolean running = completed && awaitRunning(destination);
            String verdict = !running ? "not run"
                    : settings.linux().isPresent() ? LinuxGuestWatch.verdict(destination, Patience.seconds(120))
                    : String.join(" ", destination.command("guest_verify --timeout 120"));
            boolean guestOk = running && verdict.contains("verify ok") && !verdict.contains("FAILED");
            GuestPause pause = GuestPause.of(figures,
                    running ? MigrationFigures.destinationStart(destination.command("info migrate")) : Optional.empty());
            report(figures, pause, completed, running, guestOk, verdict, destination);
            if (settings.verbose()) {
                // The per-step timings of the switch are the VMs' debug lines; their files go with the demo's folder.
                copyLog(sourceVm);
                copyLog(destination);
            }
            return completed && running && guestOk ? 0 : 1;
        }
    }

    /**
     * Starts the source VM; for an incremental copy only once its backing file's identity is kept,
     * so that the VM finds it there when it starts, as it would beside a long-lived backing file.
     */
    private ChildVm startSource(Optional<SettledBacking> settledBacking, Path dir, List<String> sourceArgs)
            throws IOException, InterruptedException {
        if (settledBacking.isPresent()) {
            settledBacking.get().await();
        }
        return ChildVm.start(ferry, dir, "source", sourceArgs);
    }

    private String mode() {
        return settings.mode().equals("inc") ? "incremental" : "full";
    }

    /** [what the source migrates to, what the destination listens on]. */
    private String[] uris(Path dir) throws IOException, InterruptedException {
        return switch (settings.transport()) {
            case "tcp" -> new String[] {null, "tcp:127.0.0.1:0"};
            case "unix" -> {
                String uri = "unix:" + dir.resolve("migration.sock");
                yield new String[] {uri, uri};
            }
            case "exec" -> {
                Path fifo = dir.resolve("migration.fifo");
                Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
                if (mkfifo.waitFor() != 0) {
                    throw new IOException("mkfifo " + fifo + " failed");
                }
                yield new String[] {"exec:cat > " + fifo, "exec:cat " + fifo};
            }
            default -> throw new IllegalArgumentException("--transport '" + settings.transport() + "' is not tcp, unix or exec");
        };
    }

    private static String tcpAddress(String uri) {
        return uri.substring("tcp:".length());
    }

    private static String quote(String uri) {
        return uri.contains(" ") ? "'" + uri + "'" : uri;
    }

    private MigrationFigures follow(ChildVm source) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + settings.timeout().toNanos();
        while (true) {
            MigrationFigures figures = MigrationFigures.parse(source.command("info migrate"));
            if (figures.ended()) {
                return figures;
            }
            say("  %s: sent %s, remaining %s", figures.status(), Sizes.human(figures.wireBytes()), Sizes.human(figures.remainingBytes()));
            if (System.nanoTime() > deadline) {
                source.command("migrate_cancel");
                throw new IOException("the migration did not finish within " + settings.timeout().toSeconds() + " s; cancelled");
            }
            Thread.sleep(PROGRESS_EVERY);
        }
    }

    private static boolean awaitRunning(ChildVm destination) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + Patience.seconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            if (destination.command("info status").stream().anyMatch(l -> l.equals("VM status: running"))) {
                return true;
            }
            destination.requireAlive();
            Thread.sleep(50);
        }
        return false;
    }

    /** The downtime reported is the guest's pause ({@link GuestPause}), with both sides' own figures beside it. */
    private void report(MigrationFigures figures, GuestPause pause, boolean completed, boolean running, boolean guestOk,
                        String verdict, ChildVm destination) throws IOException {
        if (settings.json()) {
            out.printf(Locale.ROOT, "{\"mode\":\"%s\",\"transport\":\"%s\",\"tls\":%b,\"machine\":\"%s\",\"status\":\"%s\","
                            + "\"detail\":\"%s\",\"disk_bytes\":%d,\"run_before_ms\":%d,\"total_ms\":%d,"
                            + "\"downtime_ms\":%d,\"downtime_exact\":%b,\"source_downtime_ms\":%d,\"start_after_ack_ms\":%d,"
                            + "\"downtime_sum_ms\":%d,"
                            + "\"wire_bytes\":%d,\"disk_sent_bytes\":%d,\"ram_sent_bytes\":%d,"
                            + "\"iterations\":%d,\"verified\":%b,\"guest_ok\":%b,\"guest_verdict\":\"%s\"}%n",
                    settings.mode(), settings.transport(), settings.tls(), settings.machine(), figures.status(),
                    jsonText(figures.detail()),
                    settings.diskBytes(), settings.runBefore().toMillis(), figures.totalMillis(),
                    pause.millis(), pause.exact(), pause.sourceMillis(), pause.startAfterAckMillis(), pause.sumMillis(),
                    figures.wireBytes(), figures.diskBytes(), figures.ramBytes(),
                    figures.iterations(), running, guestOk, jsonText(verdict));
            return;
        }
        double seconds = Math.max(figures.totalMillis(), 1) / 1000.0;
        out.println("ferry demo: " + (completed ? "migration completed"
                : "migration " + figures.status() + (figures.detail().isEmpty() ? "" : " (" + figures.detail() + ")")));
        out.printf(Locale.ROOT, "  total time     %d ms%n", figures.totalMillis());
        out.printf(Locale.ROOT, "  downtime       %s%n", pause.describe());
        out.printf(Locale.ROOT, "  on the wire    %s (%.0f%% of the disk)%n", Sizes.human(figures.wireBytes()),
                100.0 * figures.wireBytes() / settings.diskBytes());
        out.printf(Locale.ROOT, "  disk sent      %s%n", Sizes.human(figures.diskBytes()));
        out.printf(Locale.ROOT, "  RAM sent       %s%n", Sizes.human(figures.ramBytes()));
        out.printf(Locale.ROOT, "  throughput     %s/s%n", Sizes.human((long) (figures.wireBytes() / seconds)));
        out.println("  verified       " + (running ? "yes: the destination checked every disk's digest before it started"
                : "no: the destination did not start" + destinationError(destination)));
        out.println("  guest          " + (guestOk ? "kept running on the destination and passed its own checks (" + verdict + ")"
                : "FAILED: " + verdict));
    }

    private static void copyLog(ChildVm vm) throws IOException {
        vm.errors().lines().forEach(line -> System.err.println(vm.name() + ": " + line));
    }

    private static String jsonText(String text) {
        return text.replace("\\", "\\\\").replace("\"", "\\\"");
    }

    private static String destinationError(ChildVm destination) throws IOException {
        return destination.errors().lines().filter(l -> l.contains("failed")).findFirst().map(l -> " (" + l + ")").orElse("");
    }

    private void say(String format, Object... args) {
        if (!settings.json()) {
            out.printf(Locale.ROOT, format + "%n", args);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }
}
