package dev.ferry.monitor.hmp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SocketMonitorTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    /** Commands that need no VM: any call on it fails the command, and the test with it. */
    private static final VmControl NO_VM = (VmControl) Proxy.newProxyInstance(VmControl.class.getClassLoader(),
            new Class<?>[] {VmControl.class}, (proxy, method, args) -> {
                throw new UnsupportedOperationException(method.getName());
            });

    @Test
    void eachConnectionAfterTheFirstGetsItsOwnAnswers(@TempDir Path dir) throws Exception {
        Path socket = dir.resolve("m.sock");
        SocketMonitor monitor = new SocketMonitor(socket);
        Thread serving = Thread.ofPlatform().daemon().start(() -> {
            try {
                monitor.serve(NO_VM);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        try {
            for (String word : List.of("frobnicate", "defrobnicate", "refrobnicate")) {
                try (MonitorClient client = MonitorClient.connect(socket, TIMEOUT)) {
                    assertEquals(List.of("unknown command '" + word + "' (try 'help')"), client.command(word));
                    List<String> usage = client.command("help stop");
                    assertTrue(usage.getFirst().startsWith("Usage: stop"), usage.toString());
                }
            }
        } finally {
            monitor.close();
            serving.join(TIMEOUT.toMillis());
        }
    }
}
