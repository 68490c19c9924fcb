package dev.ferry.monitor;

import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;

/** Turns an exception into the one line a user reads; the trace is for {@code -v}. */
final class UserErrors {

    private UserErrors() {
    }

    static String describe(Throwable e) {
        return switch (e) {
            case NoSuchFileException missing -> missing.getFile() + ": no such file";
            case FileAlreadyExistsException exists -> exists.getFile() + ": already exists";
            case AccessDeniedException denied -> denied.getFile() + ": permission denied";
            default -> {
                String message = e.getMessage();
                if (message == null || message.isBlank()) {
                    yield e.getClass().getSimpleName() + (e.getCause() != null ? ": " + describe(e.getCause()) : "");
                }
                int newline = message.indexOf('\n');
                yield newline < 0 ? message : message.substring(0, newline);
            }
        };
    }
}
