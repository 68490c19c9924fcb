package dev.ferry.savevm.stream;

import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;

/**
 * Debug lines about steps inside a migration's downtime, kept and written once it is over: the
 * numbers cost nothing to take, a line written meanwhile costs the paused guest (2-20 ms each in
 * a nested KVM, a dozen per side). Nothing is kept unless the logger writes debug lines.
 */
public final class DowntimeLog {

    private record Line(String format, Object[] arguments) {
    }

    private final Logger log;
    private final List<Line> lines = new ArrayList<>();

    public DowntimeLog(Logger log) {
        this.log = log;
    }

    /** Keeps a debug line ({@code format} as SLF4J takes it) for {@link #flush}. */
    public void add(String format, Object... arguments) {
        if (log.isDebugEnabled()) {
            lines.add(new Line(format, arguments));
        }
    }

    /** Writes the kept lines, in order, and forgets them. */
    public void flush() {
        for (Line line : lines) {
            log.debug(line.format(), line.arguments());
        }
        lines.clear();
    }
}
