package dev.ferry.monitor.qmp;

/** A command's failure as QMP reports it: one of QEMU's error classes and a one-line description. */
final class QmpError extends Exception {

    /** QEMU's error classes. */
    enum Kind {
        GenericError,
        CommandNotFound,
        DeviceNotFound
    }

    private final Kind kind;

    QmpError(Kind kind, String description) {
        super(description);
        this.kind = kind;
    }

    static QmpError generic(String description) {
        return new QmpError(Kind.GenericError, description);
    }

    Kind kind() {
        return kind;
    }
}
