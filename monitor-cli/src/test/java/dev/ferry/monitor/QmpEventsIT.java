package dev.ferry.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
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

    /** A destination that hangs up at once: the migration fails within milliseconds of its setup. */
    @Test
    void shortLivedStatesAreEmittedInOrder(@TempDir Path dir) throws Exception {
        Path disk = dir.resolve("disk.img");
        LiveMigrationRig.fillRandom(disk, 4L << 20, 17);
        int port = QmpClient.freePort();
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
                QmpClient qmp = new QmpClient(socket);
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
}
