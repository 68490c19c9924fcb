package dev.ferry.vm.block;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A disk image that cannot be opened, read, written or created: its message is one line naming
 * the file and the problem, fit to show a user as it is.
 */
public class ImageException extends IOException {

    private final transient Path file;
    /** What is wrong, without the file name. */
    private final String problem;

    /**
     * The image {@code file} has {@code problem}.
     *
     * @param file the image file
     * @param problem what is wrong, without the file name
     */
    public ImageException(Path file, String problem) {
        super(file + ": " + problem);
        this.file = file;
        this.problem = problem;
    }

    /**
     * The image {@code file} has {@code problem}, found through {@code cause}.
     *
     * @param file the image file
     * @param problem what is wrong, without the file name
     * @param cause the underlying failure
     */
    public ImageException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
        this.file = file;
        this.problem = problem;
    }

    /**
     * The image file at fault.
     *
     * @return the path
     */
    public Path file() {
        return file;
    }

    /**
     * What is wrong with it, without the file name.
     *
     * @return one phrase
     */
    public String problem() {
        return problem;
    }
}
