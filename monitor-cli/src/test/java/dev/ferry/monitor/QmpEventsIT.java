package dev.ferry.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * QMP events pushed by the VM as its state changes, and QMP's socket on a refused start: states
 * too short for any sampling still arrive, in order; a start refused after the monitor socket was
 * made leaves no socket file behind.
 */
class QmpEventsIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** A destination that hangs up at once: the migration fails within milliseconds of its setup. */
    @Test
    void shortLivedStatesAreEmittedInOrder(@TempDir Path dir) throws Exception {
        Path disk = dir.resolve("disk.img");
        LiveMigrationRig.fillRandom(disk, 4L << 20, 17);
        int port = freePort();
        try (ServerSocket hangsUp = new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
             FerryProcess vm = FerryProcess.start("vm", dir, Files.createDirectory(dir.resolve("logs")),
                     "--disk", disk + ",format=raw", "--qmp", "tcp:127.0.0.1:" + port + ",server,nowait")) {
            assertEquals("VM status: running", vm.answer("info status"));
            Thread.ofPlatform().daemon().start(() -> {
                while (!hangsUp.isClosed()) {
                    try {
                        hangsUp.accept().close();
                    } catch (IOException e) {
                        return;
                    }
                }
            });
            try (Socket socket = new Socket("127.0.0.1", port)) {
                Qmp qmp = new Qmp(socket);
                qmp.execute("{\"execute\":\"qmp_capabilities\"}");
                qmp.execute("{\"execute\":\"migrate-set-capabilities\",\"arguments\":{\"capabilities\":"
                        + "[{\"capability\":\"events\",\"state\":true}]}}");
                qmp.execute("{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"tcp:127.0.0.1:" + hangsUp.getLocalPort() + "\"}}");
                qmp.awaitEvent("MIGRATION", "failed");
                assertEquals(List.of("MIGRATION setup", "MIGRATION failed"), qmp.events());

                qmp.events().clear();
                for (int i = 0; i < 3; i++) {
                    // Both in one write: the VM is paused for microseconds, far less than any sampling period.
                    qmp.execute("{\"execute\":\"stop\"}\n{\"execute\":\"cont\"}", 2);
                }
                while (qmp.events().size() < 6) {
                    qmp.next();
                }
                assertEquals(List.of("STOP", "RESUME", "STOP", "RESUME", "STOP", "RESUME"), qmp.events(),
                        "a pause of microseconds is still a STOP and a RESUME");
            }
            assertEquals(0, vm.quit());
        }
    }

    /** {@code --qmp} that cannot listen, after the monitor socket exists: the monitor socket goes too. */
    @Test
    void aFailedQmpBindLeavesNoSocketBehind(@TempDir Path dir) throws Exception {
        Path disk = dir.resolve("disk.img");
        LiveMigrationRig.fillRandom(disk, 1L << 20, 19);
        Path monitor = dir.resolve("monitor.sock");
        try (ServerSocket taken = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            List<List<String>> refused = List.of(
                    List.of("--qmp", "tcp:127.0.0.1:" + taken.getLocalPort() + ",server,nowait"),
                    List.of("--qmp", "unix:" + dir.resolve("no-such-dir/qmp.sock")),
                    List.of("--qmp", "unix:" + dir.resolve("qmp.sock"), "--incoming", "tcp:127.0.0.1:" + taken.getLocalPort()));
            for (List<String> qmp : refused) {
                List<String> args = new ArrayList<>(List.of("run", "--machine", "none", "--serial", "none",
                        "--monitor", "unix:" + monitor + ",server,nowait", "--disk", disk + ",format=raw"));
                args.addAll(qmp);
                FerryImage.Result result = FerryImage.run(60, args.toArray(String[]::new));
                assertNotEquals(0, result.exitCode(), qmp + ": " + result.stderr());
                assertEquals(1, result.stderr().lines().count(), qmp + ": one line: " + result.stderr());
                assertFalse(Files.exists(monitor), qmp + " left the monitor socket behind: " + result.stderr());
                assertFalse(Files.exists(dir.resolve("qmp.sock")), qmp + " left the QMP socket behind: " + result.stderr());
            }
        }
    }

    /** A raw QMP client: commands answered in order, events collected as they come between answers. */
    private static final class Qmp {
        private final BufferedReader in;
        private final OutputStream out;
        private final List<String> events = new ArrayList<>();

        Qmp(Socket socket) throws IOException {
            socket.setSoTimeout(60_000);
            in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            out = socket.getOutputStream();
            assertTrue(in.readLine().startsWith("{\"QMP\":"));
        }

        void execute(String command) throws IOException {
            execute(command, 1);
        }

        /** Sends {@code commands} (lines) at once and reads their {@code answers}. */
        void execute(String commands, int answers) throws IOException {
            out.write((commands + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            for (int i = 0; i < answers; i++) {
                JsonNode answer = next();
                while (answer.has("event")) {
                    answer = next();
                }
                assertTrue(answer.has("return"), commands + " answered " + answer);
            }
        }

        void awaitEvent(String name, String status) throws IOException {
            String wanted = status == null ? name : name + " " + status;
            while (!events.contains(wanted)) {
                next();
            }
        }

        List<String> events() {
            return events;
        }

        JsonNode next() throws IOException {
            String line = in.readLine();
            assertTrue(line != null, "the QMP connection closed; events so far: " + events);
            JsonNode node = JSON.readTree(line);
            if (node.has("event")) {
                JsonNode status = node.path("data").path("status");
                events.add(node.get("event").asText() + (status.isMissingNode() ? "" : " " + status.asText()));
            }
            return node;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
