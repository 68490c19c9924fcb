package dev.ferry.monitor.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.vm.device.serial.UartSink;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GuestConsoleTest {

    @TempDir
    Path dir;

    /** Two machines of one process (built ahead, then rebuilt) write one file, which closes once. */
    @Test
    void oneFileForEveryMachineAppendedAndClosedAtTheEnd() throws IOException {
        Path log = dir.resolve("serial.log");
        Files.writeString(log, "earlier run\n");
        UartSink sink;
        try (GuestConsole console = GuestConsole.open(log.toString())) {
            sink = console.sink();
            write(sink, "first machine\n");
            write(sink, "second machine\n");
        }
        assertEquals("earlier run\nfirst machine\nsecond machine\n", Files.readString(log));
        UartSink closed = sink;
        assertThrows(UncheckedIOException.class, () -> write(closed, "after the end\n"), "the file outlived the process's VM");
    }

    @Test
    void aFileThatCannotBeOpenedFailsBeforeAnythingStarts() {
        Path missing = dir.resolve("no-such-dir").resolve("serial.log");
        IOException e = assertThrows(IOException.class, () -> GuestConsole.open(missing.toString()));
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
    }

    /** Closing the console of {@code stdio} must not close the process's own stdout. */
    @Test
    void stdioStaysOpen() throws IOException {
        GuestConsole.open("stdio").close();
        System.out.flush();
        assertFalse(System.out.checkError(), "System.out was closed with the console");
    }

    private static void write(UartSink sink, String text) {
        for (byte b : text.getBytes(StandardCharsets.US_ASCII)) {
            sink.accept(b);
        }
    }
}
