package dev.ferry.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/** Fails a test that leaves a live child process behind: every channel must reap what it started. */
final class NoChildProcessLeft implements AfterEachCallback {

    @Override
    public void afterEach(ExtensionContext context) {
        List<String> alive = ProcessHandle.current().children().filter(ProcessHandle::isAlive)
                .map(child -> child.pid() + " " + child.info().commandLine().orElse("?")).toList();
        assertEquals(List.of(), alive, "child processes outlived their channels");
    }
}
