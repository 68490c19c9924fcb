package dev.ferry.monitor.hmp;

/** An operator-facing failure: its message is the one line the monitor prints. */
public final class MonitorException extends Exception {

    private static final long serialVersionUID = 1L;

    public MonitorException(String message) {
        super(message);
    }

    public MonitorException(String message, Throwable cause) {
        super(message, cause);
    }
}
