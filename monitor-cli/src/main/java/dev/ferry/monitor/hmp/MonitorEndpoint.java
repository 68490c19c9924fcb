package dev.ferry.monitor.hmp;

import java.io.IOException;

/** Where the monitor reads commands from: the terminal, or a unix socket an operator connects to. */
public sealed interface MonitorEndpoint permits ConsoleMonitor, SocketMonitor {

    /** The prompt QEMU users know, with our name. */
    String PROMPT = "(ferry) ";

    /** Serves commands until {@code quit}, end of input on the console, or {@link #close}. */
    void serve(VmControl control) throws IOException;

    /** Stops serving; an operator's connection is closed. */
    void close();

    /**
     * Parses {@code --monitor}'s value: {@code stdio}, {@code unix:PATH} (QEMU's
     * {@code unix:PATH,server,nowait} spelling is accepted), or {@code none}.
     */
    static MonitorEndpoint parse(String spec) {
        if (spec.equals("stdio")) {
            return new ConsoleMonitor();
        }
        if (spec.startsWith("unix:")) {
            String path = spec.substring("unix:".length());
            int comma = path.indexOf(',');
            path = comma < 0 ? path : path.substring(0, comma);
            if (path.isEmpty()) {
                throw new IllegalArgumentException("monitor 'unix:' needs a socket path, e.g. unix:/tmp/ferry.sock");
            }
            return new SocketMonitor(java.nio.file.Path.of(path));
        }
        throw new IllegalArgumentException("monitor '" + spec + "' is not stdio or unix:PATH");
    }
}
