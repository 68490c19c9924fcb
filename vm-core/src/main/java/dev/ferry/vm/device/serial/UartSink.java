package dev.ferry.vm.device.serial;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;

/** Where the bytes a guest writes to a UART go. Called on the vCPU thread, once per byte. */
@FunctionalInterface
public interface UartSink {

    /**
     * Takes one byte the guest wrote.
     *
     * @param b the byte
     */
    void accept(byte b);

    /**
     * A sink over a stream (stdout, a file) that flushes at each line end, so a log follows the
     * guest without a flush per byte.
     *
     * @param out the stream; the sink does not close it
     * @return the sink
     */
    static UartSink lines(OutputStream out) {
        return b -> {
            try {
                out.write(b);
                if (b == '\n') {
                    out.flush();
                }
            } catch (IOException e) {
                throw new UncheckedIOException("uart output failed", e);
            }
        };
    }
}
