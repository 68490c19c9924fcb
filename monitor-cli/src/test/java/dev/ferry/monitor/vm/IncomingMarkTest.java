package dev.ferry.monitor.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ferry's mark on images it created for an incoming migration, in both of its forms: the user
 * extended attribute, and the sidecar file where the file system keeps no user attributes (the
 * capability is given as such a file system reports it; CI's nested KVM stage runs the kill case
 * on a real one, Linux 6.1's tmpfs).
 */
class IncomingMarkTest {

    @TempDir
    Path dir;

    @Test
    void withoutUserAttributesTheMarkIsAFileBesideTheImageUntilCleared() throws IOException {
        Path image = image("disk.raw");
        IncomingMark mark = new IncomingMark(image, false);
        assertFalse(mark.isSet());

        mark.set();
        assertTrue(mark.isSet());
        assertEquals(List.of("disk.raw", "disk.raw.ferry-incoming"), names());
        assertTrue(IncomingMark.of(image).isSet(), "the mark reads the same whatever the file system says");

        mark.clear();
        assertFalse(mark.isSet());
        assertEquals(List.of("disk.raw"), names());
    }

    @Test
    void aMarkFileThatOutlivedItsImageDoesNotVouchForTheFileNowThere() throws IOException {
        Path image = image("disk.raw");
        new IncomingMark(image, false).set();
        Path other = image("someone-elses.raw");
        Files.move(other, image, StandardCopyOption.REPLACE_EXISTING);

        assertFalse(new IncomingMark(image, false).isSet(), "another file at the marked path is not Ferry's");
    }

    @Test
    void aHandWrittenMarkFileNotNamingTheImageIsNoMark() throws IOException {
        Path image = image("disk.raw");
        Files.writeString(dir.resolve("disk.raw.ferry-incoming"), "file (dev=1,ino=2)\n");

        assertFalse(new IncomingMark(image, false).isSet());
    }

    @Test
    void withUserAttributesTheMarkIsTheAttributeAndNoFile() throws IOException {
        Assumptions.assumeTrue(attributesHere(), "needs user extended attributes on the temporary directory's file system");
        Path image = image("disk.raw");
        IncomingMark mark = IncomingMark.of(image);

        mark.set();
        assertTrue(mark.isSet());
        assertTrue(Files.getFileAttributeView(image, UserDefinedFileAttributeView.class).list().contains("ferry.incoming"));
        assertEquals(List.of("disk.raw"), names());

        mark.clear();
        assertFalse(mark.isSet());
    }

    private Path image(String name) throws IOException {
        Path image = dir.resolve(name);
        Files.write(image, new byte[4096]);
        return image;
    }

    private List<String> names() throws IOException {
        try (var files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private boolean attributesHere() throws IOException {
        return Files.getFileStore(dir).supportsFileAttributeView(UserDefinedFileAttributeView.class);
    }
}
