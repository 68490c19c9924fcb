package dev.ferry.monitor.demo;

import dev.ferry.monitor.hmp.MonitorClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@code ferry run} child process with its monitor on a unix socket, its stderr in a file.
 * Closing it quits the VM, or kills the process (and its descendants) if it does not end.
 */
final class ChildVm implements AutoCloseable {

    private static final Pattern WAITING = Pattern.compile("waiting for an incoming migration on (\\S+)");

    private final String name;
    private final Process process;
    private final Path stderr;
    private final Path monitorSocket;
    private final Path serial;
    private MonitorClient monitor;

    private ChildVm(String name, Process process, Path stderr, Path monitorSocket, Path serial) {
        this.name = name;
        this.process = process;
        this.stderr = stderr;
        this.monitorSocket = monitorSocket;
        this.serial = serial;
    }

    /** Starts {@code ferry run ARGS --monitor unix:DIR/NAME.sock} with stderr in DIR/NAME.err, the guest's console in DIR/NAME-serial.log. */
    static ChildVm start(Path ferry, Path dir, String name, List<String> args) throws IOException {
        Path socket = dir.resolve(name + ".sock");
        Path stderr = dir.resolve(name + ".err");
        List<String> command = new ArrayList<>(List.of(ferry.toString(), "run"));
        command.addAll(args);
        Path serial = dir.resolve(name + "-serial.log");
        command.addAll(List.of("--monitor", "unix:" + socket, "--serial", "file:" + serial));
        Process process = new ProcessBuilder(command)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve(name + ".out").toFile()))
                .redirectError(stderr.toFile())
                .start();
        return new ChildVm(name, process, stderr, socket, serial);
    }

    /** Connects to the monitor, failing early with the child's own error if it died. */
    MonitorClient monitor() throws IOException {
        if (monitor == null) {
            Duration timeout = Patience.seconds(30);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!Files.exists(monitorSocket)) {
                requireAlive();
                if (System.nanoTime() > deadline) {
                    throw new IOException(name + ": the monitor socket did not appear within " + timeout.toSeconds() + " s");
                }
                pause(20);
            }
            monitor = MonitorClient.connect(monitorSocket, Patience.seconds(10));
        }
        return monitor;
    }

    /** The name it was started with ("source", "destination"). */
    String name() {
        return name;
    }

    /** The file its guest's console goes to. */
    Path serial() {
        return serial;
    }

    List<String> command(String line) throws IOException {
        return monitor().command(line);
    }

    /** The URI a destination listens on, read from its stderr. */
    String incomingUri(Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Matcher matcher = WAITING.matcher(errors());
            if (matcher.find()) {
                return matcher.group(1);
            }
            requireAlive();
            if (System.nanoTime() > deadline) {
                throw new IOException(name + ": not listening after " + timeout.toSeconds() + " s");
            }
            pause(20);
        }
    }

    String errors() throws IOException {
        return Files.exists(stderr) ? Files.readString(stderr, StandardCharsets.UTF_8) : "";
    }

    void requireAlive() throws IOException {
        if (!process.isAlive()) {
            String text = errors().strip();
            throw new IOException(name + " ended (status " + process.exitValue() + ")" + (text.isEmpty() ? "" : ": " + lastLine(text)));
        }
    }

    private static String lastLine(String text) {
        int newline = text.lastIndexOf('\n');
        return newline < 0 ? text : text.substring(newline + 1);
    }

    private static void pause(long millis) throws IOException {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    @Override
    public void close() throws IOException {
        try {
            if (process.isAlive() && monitor != null) {
                monitor.commandUntilClosed("quit");
            }
        } catch (IOException e) {
            // Already gone, or the monitor broke: the kill below ends it.
        } finally {
            if (monitor != null) {
                monitor.close();
            }
            try {
                if (!process.waitFor(Patience.seconds(10).toSeconds(), TimeUnit.SECONDS)) {
                    process.descendants().forEach(ProcessHandle::destroyForcibly);
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
