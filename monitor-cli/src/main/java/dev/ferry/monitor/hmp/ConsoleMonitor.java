package dev.ferry.monitor.hmp;

import java.io.IOException;
import java.io.PrintWriter;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.UserInterruptException;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;

/**
 * The monitor on the process's own terminal, through JLine: history, line editing, and Ctrl-C
 * that clears the line instead of killing the VM. Without a terminal (a pipe), plain lines.
 */
public final class ConsoleMonitor implements MonitorEndpoint {

    private volatile Terminal terminal;
    private volatile boolean closing;

    @Override
    public void serve(VmControl control) throws IOException {
        try (Terminal opened = TerminalBuilder.builder().system(true).dumb(true).build()) {
            terminal = opened;
            boolean interactive = !Terminal.TYPE_DUMB.equals(opened.getType())
                    && !Terminal.TYPE_DUMB_COLOR.equals(opened.getType());
            PrintWriter out = opened.writer();
            Hmp hmp = new Hmp(control, out, interactive);
            LineReader reader = LineReaderBuilder.builder().terminal(opened).appName("ferry").build();
            while (true) {
                String line;
                try {
                    line = reader.readLine(PROMPT);
                } catch (UserInterruptException e) {
                    continue;
                } catch (EndOfFileException e) {
                    return;
                } catch (IllegalStateException e) {
                    // close() shut the terminal under the reader (SIGTERM, quit from another monitor)
                    if (closing) {
                        return;
                    }
                    throw e;
                }
                if (!hmp.execute(line)) {
                    return;
                }
            }
        } finally {
            terminal = null;
        }
    }

    @Override
    public void close() {
        closing = true;
        Terminal current = terminal;
        if (current != null) {
            try {
                current.close();
            } catch (IOException e) {
                // Closing only unblocks the reader; the process is ending anyway.
            }
        }
    }
}
