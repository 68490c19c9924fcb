package dev.ferry.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.SequencedMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Scenario (q): the reference. QEMU's own block migration ({@code migrate -d -b}, the
 * {@code zero-blocks} capability on at both ends) of a raw disk laid out like the demo's (first
 * half random, second half zeros) between two {@code qemu-system-x86_64} processes over loopback
 * TCP. Each VM is a TCG {@code pc} machine with 64 MiB of RAM and the disk on virtio-blk whose
 * firmware finds nothing to boot: an idle guest, as in (b). The time is QEMU's own {@code info
 * migrate} figure; the downtime is the guest's pause, as the demo's is: from the source's STOP
 * event to the destination's RESUME, stamped by QEMU on this host's clock (QEMU's own downtime,
 * its source's figure, ends before its destination has loaded and started the guest, and is kept
 * beside it). QEMU does not report the block stream's bytes after completion, so its wire share
 * is left out. The copy is compared with the image afterwards.
 *
 * @param qemu the {@code qemu-system-x86_64} to run
 */
record QemuBlockMigration(String id, long diskBytes, String qemu) implements Scenario {

    private static final Pattern TOTAL = Pattern.compile("(?m)^total time: (\\d+) ms");
    private static final Pattern DOWNTIME = Pattern.compile("(?m)^downtime: (\\d+) ms");
    private static final Pattern STATUS = Pattern.compile("(?m)^Migration status: (.*)$");

    @Override
    public String title() {
        return "QEMU 7.2 migrate -b " + Sizes.format(diskBytes) + ", idle guest";
    }

    @Override
    public RunResult run(BenchContext context, int run) throws IOException, InterruptedException, BenchException {
        Path image = context.work().resolve("qemu-source-" + Sizes.format(diskBytes) + ".img");
        if (!Files.exists(image)) {
            RawCeiling.writeHalfRandom(image, diskBytes);
        }
        Path copy = context.work().resolve("qemu-copy.img");
        Files.deleteIfExists(copy);
        try (FileChannel file = FileChannel.open(copy, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            file.write(ByteBuffer.allocate(1), diskBytes - 1); // sparse, like the demo's fresh destination
        }
        String name = id + "-" + run;
        long deadline = System.nanoTime() + context.timeout().toNanos();
        Path sockets = Files.createTempDirectory(Path.of("/tmp"), "ferry-bench-qemu");
        try (ChildProcess destination = ChildProcess.start(context, name + "-qemu-destination",
                vm(copy, sockets, "destination", "-incoming", "defer"));
             ChildProcess source = ChildProcess.start(context, name + "-qemu-source", vm(image, sockets, "source"));
             QemuMonitor in = QemuMonitor.connect(sockets.resolve("destination.sock"), deadline);
             QemuMonitor out = QemuMonitor.connect(sockets.resolve("source.sock"), deadline);
             QmpEvents inEvents = QmpEvents.connect(sockets.resolve("destination.qmp"), deadline);
             QmpEvents outEvents = QmpEvents.connect(sockets.resolve("source.qmp"), deadline)) {
            int port = freePort();
            in.run("migrate_set_capability zero-blocks on");
            in.run("migrate_incoming tcp:127.0.0.1:" + port);
            out.run("migrate_set_capability zero-blocks on");
            String started = out.run("migrate -d -b tcp:127.0.0.1:" + port);
            if (!started.isBlank()) {
                throw new BenchException(name + ": QEMU refused the migration: " + started.strip());
            }
            String info = awaitEnd(out, name, deadline);
            Instant stopped = outEvents.last("STOP", deadline);
            Instant resumed = inEvents.last("RESUME", deadline);
            out.quit();
            in.quit();
            if (Files.mismatch(image, copy) != -1) {
                throw new BenchException(name + ": QEMU's copy differs from the image at byte " + Files.mismatch(image, copy));
            }
            SequencedMap<String, Object> reported = new LinkedHashMap<>();
            reported.put("tool", "qemu-system-x86_64 migrate -d -b");
            double total = figure(TOTAL, info, name);
            double downtime = Duration.between(stopped, resumed).toNanos() / 1e6;
            reported.put("total_ms", total);
            reported.put("downtime_ms", downtime);
            reported.put("source_downtime_ms", figure(DOWNTIME, info, name));
            return new RunResult(total, downtime, diskBytes, -1, diskBytes / 2, reported);
        } finally {
            Files.deleteIfExists(copy);
            BenchMain.deleteTree(sockets);
        }
    }

    /** A VM over {@code disk} with its human monitor and its QMP socket in {@code sockets}, named by {@code side}. */
    private List<String> vm(Path disk, Path sockets, String side, String... extra) {
        List<String> command = new ArrayList<>(List.of(qemu, "-M", "pc", "-accel", "tcg", "-m", "64",
                "-nodefaults", "-display", "none", "-drive", "file=" + disk + ",format=raw,if=virtio",
                "-monitor", "unix:" + sockets.resolve(side + ".sock") + ",server=on,wait=off",
                "-qmp", "unix:" + sockets.resolve(side + ".qmp") + ",server=on,wait=off"));
        command.addAll(List.of(extra));
        return command;
    }

    private static String awaitEnd(QemuMonitor monitor, String name, long deadline)
            throws IOException, InterruptedException, BenchException {
        while (System.nanoTime() < deadline) {
            String info = monitor.run("info migrate");
            Matcher status = STATUS.matcher(info);
            String state = status.find() ? status.group(1).strip() : "";
            if (state.equals("completed")) {
                return info;
            }
            if (state.startsWith("failed") || state.startsWith("cancelled")) {
                throw new BenchException(name + ": QEMU's migration " + state);
            }
            Thread.sleep(20);
        }
        throw new BenchException(name + ": QEMU's migration did not end in time");
    }

    private static double figure(Pattern pattern, String info, String name) throws BenchException {
        Matcher m = pattern.matcher(info);
        if (!m.find()) {
            throw new BenchException(name + ": QEMU's info migrate has no " + pattern.pattern() + ": " + info);
        }
        return Double.parseDouble(m.group(1));
    }

    /** A loopback port free a moment ago (QEMU's -incoming defer cannot report the port it bound). */
    private static int freePort() throws IOException {
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return probe.getLocalPort();
        }
    }
}
