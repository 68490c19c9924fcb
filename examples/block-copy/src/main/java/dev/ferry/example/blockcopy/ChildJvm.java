package dev.ferry.example.blockcopy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * This program in a second JVM, on the same path as this one: the module path if Ferry is a
 * named module here, else the class path. Its output is echoed with a prefix.
 */
final class ChildJvm implements AutoCloseable {

    private final Process process;
    private final CompletableFuture<String> listening = new CompletableFuture<>();

    private ChildJvm(Process process) {
        this.process = process;
        Thread.ofPlatform().name("receiver-output").daemon(true).start(this::echo);
    }

    static ChildJvm start(String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElseThrow(
                () -> new IOException("cannot tell which java runs this program")));
        if (ChildJvm.class.getModule().isNamed()) {
            command.add("--enable-native-access=dev.ferry.vm,dev.ferry.transport");
            command.add("--module-path");
            command.add(System.getProperty("jdk.module.path"));
            command.add("--module");
            command.add(ChildJvm.class.getModule().getName() + "/" + BlockCopyExample.class.getName());
        } else {
            command.add("--enable-native-access=ALL-UNNAMED");
            command.add("--class-path");
            command.add(System.getProperty("java.class.path"));
            command.add(BlockCopyExample.class.getName());
        }
        command.addAll(List.of(args));
        return new ChildJvm(new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start());
    }

    private void echo() {
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = lines.readLine()) != null) {
                System.out.println("[receiver] " + line);
                if (line.startsWith(Receiver.LISTENING)) {
                    listening.complete(line.substring(Receiver.LISTENING.length()));
                }
            }
        } catch (IOException e) {
            listening.completeExceptionally(e);
        }
        listening.completeExceptionally(new IOException("the receiving JVM ended before it listened"));
    }

    /** The URI the receiver listens on, once it says so. */
    String awaitListening(Duration timeout) throws IOException, InterruptedException {
        try {
            return listening.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new IOException(e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IOException("the receiving JVM did not listen within " + timeout.toSeconds() + " s", e);
        }
    }

    /** The receiver's exit status, or -1 if it did not exit in time. */
    int awaitExit(Duration timeout) throws InterruptedException {
        return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS) ? process.exitValue() : -1;
    }

    /** Ends the receiver if it still runs (after a failure on this side). */
    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroy();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
