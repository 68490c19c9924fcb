package dev.ferry.vm.block;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * A small text file beside an image, {@code IMAGE + suffix}, that tells something about the image
 * and must survive a crash of the process that wrote it (Ferry's marks). It is replaced whole: a
 * reader never sees half of it.
 *
 * @param path where the file is
 */
public record SidecarFile(Path path) {

    /**
     * The sidecar file of {@code image} with {@code suffix}.
     *
     * @param image the image it is about
     * @param suffix what follows the image's file name, e.g. {@code .ferry-incomplete}
     * @return the sidecar, which may not exist
     */
    public static SidecarFile beside(Path image, String suffix) {
        return new SidecarFile(image.resolveSibling(image.getFileName() + suffix));
    }

    /**
     * Its text, if the file exists.
     *
     * @return the text, or empty when there is no such file
     * @throws IOException if it exists and cannot be read
     */
    public Optional<String> read() throws IOException {
        try {
            return Optional.of(Files.readString(path));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    /**
     * Replaces the file with {@code text}, on disk before this returns (written beside it, forced,
     * renamed over it, then the directory forced so the new name survives a crash too).
     *
     * @param text the whole new content
     * @throws IOException if it cannot be written
     */
    public void write(String text) throws IOException {
        Path temporary = path.resolveSibling(path.getFileName() + ".tmp");
        Files.writeString(temporary, text);
        try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE)) {
            channel.force(true);
        }
        Files.move(temporary, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        forceDirectory();
    }

    // A rename lives in the directory's entries: without this a crash can bring back the old file.
    private void forceDirectory() throws IOException {
        try (FileChannel directory = FileChannel.open(path.toAbsolutePath().getParent(), StandardOpenOption.READ)) {
            directory.force(true);
        }
    }

    /**
     * Removes the file if it exists.
     *
     * @throws IOException if it exists and cannot be removed
     */
    public void delete() throws IOException {
        if (Files.deleteIfExists(path)) {
            forceDirectory();
        }
    }
}
