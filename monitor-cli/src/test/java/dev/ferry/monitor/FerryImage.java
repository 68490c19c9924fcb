package dev.ferry.monitor;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.monitor.demo.Patience;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs the linked {@code bin/ferry} of the runtime image the way a user does: no JVM flags. */
final class FerryImage {

    record Result(int exitCode, String stdout, String stderr) {
    }

    private FerryImage() {
    }

    static Path launcher() {
        String image = System.getProperty("ferry.image");
        assertTrue(image != null, "ferry.image is not set: run integration tests through ./mvnw verify");
        Path launcher = Path.of(image, "bin", "ferry");
        assertTrue(Files.isExecutable(launcher), "no runtime image at " + launcher);
        return launcher;
    }

    static Result run(long timeoutSeconds, String... args) throws IOException, InterruptedException {
        return runAs(List.of(), timeoutSeconds, args);
    }

    /** As {@link #run}, the launcher started through {@code wrapper} (e.g. setpriv to another user). */
    static Result runAs(List<String> wrapper, long timeoutSeconds, String... args) throws IOException, InterruptedException {
        return run(wrapper, launcher(), Map.of(), timeoutSeconds, args);
    }

    /** As {@link #run}, with {@code env} added to the launcher's environment (e.g. JDK_JAVA_OPTIONS). */
    static Result runWith(Map<String, String> env, long timeoutSeconds, String... args) throws IOException, InterruptedException {
        return runAsWith(List.of(), env, timeoutSeconds, args);
    }

    /** As {@link #runAs} and {@link #runWith} at once (e.g. taskset and JDK_JAVA_OPTIONS). */
    static Result runAsWith(List<String> wrapper, Map<String, String> env, long timeoutSeconds, String... args)
            throws IOException, InterruptedException {
        return run(wrapper, launcher(), env, timeoutSeconds, args);
    }

    /** As {@link #run}, started by another path to the launcher (e.g. a symbolic link on the PATH). */
    static Result runThrough(Path launcherPath, long timeoutSeconds, String... args) throws IOException, InterruptedException {
        return run(List.of(), launcherPath, Map.of(), timeoutSeconds, args);
    }

    private static Result run(List<String> wrapper, Path launcher, Map<String, String> env, long timeoutSeconds,
            String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(wrapper);
        command.add(launcher.toString());
        command.addAll(List.of(args));
        Path out = Files.createTempFile("ferry-out", ".txt");
        Path err = Files.createTempFile("ferry-err", ".txt");
        try {
            ProcessBuilder builder = new ProcessBuilder(command);
            builder.environment().putAll(env);
            Process process = builder
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start();
            if (!process.waitFor(Patience.seconds(timeoutSeconds).toSeconds(), TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
                throw new AssertionError("ferry " + String.join(" ", args) + " did not finish in " + timeoutSeconds + " s");
            }
            return new Result(process.exitValue(),
                    Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
