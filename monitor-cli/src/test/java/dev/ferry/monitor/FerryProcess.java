package dev.ferry.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.monitor.demo.Patience;
import dev.ferry.monitor.hmp.MonitorClient;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One real {@code ferry run --machine none} process with its monitor on {@code ferry.sock} in a
 * directory of its own (a later process there replaces a killed one's stale socket); stderr goes
 * to a log directory. {@link #kill} is SIGKILL. Closing it
 * kills it if it still runs and fails if it left a child process behind.
 */
final class FerryProcess implements AutoCloseable {

    private static final Pattern WAITING = Pattern.compile("waiting for an incoming migration on (\\S+)");
    private static final Duration MONITOR_TIMEOUT = Patience.seconds(20);

    private final String name;
    private final Process process;
    private final Path socket;
    private final Path stderr;
    private MonitorClient monitor;

    private FerryProcess(String name, Process process, Path socket, Path stderr) {
        this.name = name;
        this.process = process;
        this.socket = socket;
        this.stderr = stderr;
    }

    /**
     * Starts {@code ferry run --machine none --serial none --monitor unix:DIR/ferry.sock ARGS} in
     * {@code dir}; its stderr goes to {@code logs/NAME.err}, so {@code dir} holds only what ferry makes.
     */
    static FerryProcess start(String name, Path dir, Path logs, String... args) throws IOException {
        return start("none", name, dir, logs, args);
    }

    /** As {@link #start(String, Path, Path, String...)} on {@code --machine machine}. */
    static FerryProcess start(String machine, String name, Path dir, Path logs, String... args) throws IOException {
        List<String> run = new ArrayList<>(List.of("--machine", machine, "--serial", "none", "--monitor", "unix:" + socket(dir)));
        run.addAll(List.of(args));
        return startSpelled(name, dir, logs, run);
    }

    /** The monitor socket a process started in {@code dir} must listen on. */
    static Path socket(Path dir) {
        return dir.resolve("ferry.sock");
    }

    /** {@code ferry run ARGS} exactly as given; {@code args} put the monitor on {@link #socket socket(dir)}. */
    static FerryProcess startSpelled(String name, Path dir, Path logs, List<String> args) throws IOException {
        return startSpelled(name, dir, logs, args, Map.of());
    }

    /** As {@link #startSpelled(String, Path, Path, List)} with {@code env} added to its environment. */
    static FerryProcess startSpelled(String name, Path dir, Path logs, List<String> args, Map<String, String> env)
            throws IOException {
        Path socket = socket(dir);
        Path stderr = logs.resolve(name + ".err");
        List<String> command = new ArrayList<>(List.of(FerryImage.launcher().toString(), "run"));
        command.addAll(args);
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().putAll(env);
        Process process = builder
                .directory(dir.toFile())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(stderr.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .start();
        return new FerryProcess(name, process, socket, stderr);
    }

    /** Runs one monitor command, connecting on first use; returns its lines. */
    List<String> command(String line) throws IOException {
        if (monitor == null) {
            monitor = MonitorClient.connect(socket, MONITOR_TIMEOUT);
        }
        return monitor.command(line);
    }

    /** A command that answers one line. */
    String answer(String line) throws IOException {
        List<String> lines = command(line);
        assertEquals(1, lines.size(), name + ": '" + line + "' answered " + lines);
        return lines.getFirst();
    }

    /** The line of {@code info LINE} that starts with {@code prefix}. */
    String infoLine(String what, String prefix) throws IOException {
        return command("info " + what).stream().filter(l -> l.startsWith(prefix)).findFirst()
                .orElseThrow(() -> new AssertionError(name + ": no '" + prefix + "' in info " + what));
    }

    /** The URI a destination listens on, once it says so on stderr. */
    String incomingUri() throws IOException, InterruptedException {
        long deadline = System.nanoTime() + MONITOR_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            Matcher matcher = WAITING.matcher(stderr());
            if (matcher.find()) {
                return matcher.group(1);
            }
            assertTrue(process.isAlive(), name + " ended before it listened: " + stderr());
            Thread.sleep(20);
        }
        throw new AssertionError(name + " did not say where it waits: " + stderr());
    }

    /** SIGKILL, and waits until the kernel has reaped it. */
    void kill() throws InterruptedException {
        List<ProcessHandle> children = process.descendants().toList();
        process.destroyForcibly().waitFor();
        children.forEach(ProcessHandle::destroyForcibly);
        closeMonitor();
    }

    /** SIGTERM, and the exit status. */
    int terminate() throws InterruptedException {
        process.destroy();
        closeMonitor();
        return awaitExit(Duration.ofSeconds(20));
    }

    /** Sends {@code quit} and waits for the exit status. */
    int quit() throws IOException, InterruptedException {
        if (monitor == null) {
            monitor = MonitorClient.connect(socket, MONITOR_TIMEOUT);
        }
        monitor.commandUntilClosed("quit");
        closeMonitor();
        return awaitExit(Patience.seconds(20));
    }

    /** The exit status once it ends by itself within {@code timeout}. */
    int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError(name + " still runs after " + timeout + "; stderr: " + stderr());
        }
        return process.exitValue();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** Its child processes (an exec: transport's shell, say) right now. */
    List<ProcessHandle> descendants() {
        return process.descendants().filter(ProcessHandle::isAlive).toList();
    }

    Path socket() {
        return socket;
    }

    String name() {
        return name;
    }

    String stderr() {
        try {
            return Files.readString(stderr, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(stderr unreadable: " + e.getMessage() + ")";
        }
    }

    private void closeMonitor() {
        if (monitor != null) {
            try {
                monitor.close();
            } catch (IOException ignored) {
                // The process is gone; its socket with it.
            }
            monitor = null;
        }
    }

    @Override
    public void close() throws InterruptedException {
        List<ProcessHandle> children = descendants();
        if (process.isAlive()) {
            kill();
        }
        children.forEach(ProcessHandle::destroyForcibly);
        assertTrue(children.isEmpty(), name + " left child processes: " + children);
    }
}
