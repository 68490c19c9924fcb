package dev.ferry.vm.block;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A disk image that cannot be opened, read, written or created: its message is one line naming
 * the file and the problem, fit to show a user as it is.
 */
public class ImageException extends IOException {

    private final transient Path file;
    private final String problem;

    public ImageException(Path file, String problem) {
        super(file + ": " + problem);
        this.file = file;
        this.problem = problem;
    }

    public ImageException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
        this.file = file;
        this.problem = problem;
    }

    /** The image file at fault. */
    public Path file() {
        return file;
    }

    /** What is wrong with it, without the file name. */
    public String problem() {
        return problem;
    }
}
