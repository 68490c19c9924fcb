package dev.ferry.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SequencedMap;
import java.util.concurrent.TimeUnit;

/**
 * A process the bench starts, its stdout and stderr in log files named after the run, killed
 * with its own descendants if it outlives the run's deadline.
 */
final class ChildProcess implements AutoCloseable {

    private final String name;
    private final Process process;
    private final Path out;
    private final Path err;

    private ChildProcess(String name, Process process, Path out, Path err) {
        this.name = name;
        this.process = process;
        this.out = out;
        this.err = err;
    }

    /** Starts {@code command}; stdout goes to {@code <name>.out}, stderr to {@code <name>.err} in the logs folder. */
    static ChildProcess start(BenchContext context, String name, List<String> command) throws IOException {
        Path out = context.logs().resolve(name + ".out");
        Path err = context.logs().resolve(name + ".err");
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectOutput(out.toFile())
                .redirectError(err.toFile());
        builder.environment().putAll(context.env());
        return new ChildProcess(name, builder.start(), out, err);
    }

    /**
     * Waits until the process has printed a line starting with {@code prefix} and returns the
     * line's rest, or fails when it exits first or {@code deadlineNanos} passes.
     */
    String awaitLine(String prefix, long deadlineNanos) throws IOException, InterruptedException, BenchException {
        while (System.nanoTime() < deadlineNanos) {
            for (String line : Files.readAllLines(out)) {
                if (line.startsWith(prefix)) {
                    return line.substring(prefix.length());
                }
            }
            if (!process.isAlive()) {
                throw failure("exited with status " + process.exitValue() + " before printing '" + prefix + "'");
            }
            Thread.sleep(10);
        }
        throw failure("printed no '" + prefix + "' in time");
    }

    /**
     * Waits for a clean exit by {@code deadlineNanos} and returns the last JSON object the
     * process printed on stdout.
     */
    SequencedMap<String, Object> awaitJson(long deadlineNanos) throws IOException, InterruptedException, BenchException {
        if (!process.waitFor(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS)) {
            throw failure("did not finish in time");
        }
        if (process.exitValue() != 0) {
            throw failure("exited with status " + process.exitValue());
        }
        List<String> json = Files.readAllLines(out).stream().filter(line -> line.startsWith("{")).toList();
        if (json.isEmpty()) {
            throw failure("printed no JSON line");
        }
        try {
            return Json.parseFlat(json.getLast());
        } catch (IllegalArgumentException e) {
            throw failure("printed bad JSON: " + e.getMessage());
        }
    }

    private BenchException failure(String problem) {
        return new BenchException(name + " " + problem + " (see " + out + " and " + err + ")");
    }

    /** Kills the process and its descendants if they still run; all of them were started by this run. */
    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            process.waitFor();
        }
    }
}
