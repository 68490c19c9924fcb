package dev.ferry.monitor.vm;

import dev.ferry.vm.device.serial.UartSink;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;

/**
 * Where {@code --serial} sends the guest's UART: stdout, nowhere, or a file opened for appending.
 * The process owns the file, not a machine: every machine it builds (one built ahead, then one
 * from the source's configuration) writes through the same stream, closed once at the end.
 *
 * @param sink what the machines write to
 * @param file the file behind the sink (a null stream for stdout and none: those stay open)
 */
record GuestConsole(UartSink sink, OutputStream file) implements AutoCloseable {

    /**
     * The console {@code serial} names.
     *
     * @param serial "stdio", "none" or a file path
     * @return the console, its file open for appending
     * @throws IOException if the file cannot be opened
     */
    static GuestConsole open(String serial) throws IOException {
        return switch (serial) {
            case "none" -> new GuestConsole(b -> { }, OutputStream.nullOutputStream());
            case "stdio" -> new GuestConsole(UartSink.lines(System.out), OutputStream.nullOutputStream());
            default -> {
                OutputStream file = new FileOutputStream(Path.of(serial).toFile(), true);
                yield new GuestConsole(UartSink.lines(file), file);
            }
        };
    }

    @Override
    public void close() throws IOException {
        file.close();
    }
}
