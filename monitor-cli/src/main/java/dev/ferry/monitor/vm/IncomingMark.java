package dev.ferry.monitor.vm;

import dev.ferry.vm.block.SidecarFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ferry's mark on an image it created for an incoming migration, removed when the migration
 * succeeds: an image a killed destination left behind still carries it, so the next attempt may
 * overwrite it, while any other image holding data is refused. The mark is the user extended
 * attribute {@code user.ferry.incoming}; where the file system has no user attributes (tmpfs
 * before Linux 6.6) it is the file {@code IMAGE.ferry-incoming} beside the image, naming the
 * image's inode, so a mark that outlived its image never vouches for another file.
 */
final class IncomingMark {

    private static final Logger LOG = LoggerFactory.getLogger(IncomingMark.class);
    private static final String ATTRIBUTE = "ferry.incoming";
    private static final String SUFFIX = ".ferry-incoming";

    private final Path image;
    private final boolean userAttributes;
    private final SidecarFile sidecar;

    /** {@code userAttributes}: whether the image's file system keeps user extended attributes. */
    IncomingMark(Path image, boolean userAttributes) {
        this.image = image;
        this.userAttributes = userAttributes;
        this.sidecar = SidecarFile.beside(image, SUFFIX);
    }

    /** The mark of {@code image}, kept the way its file system allows. */
    static IncomingMark of(Path image) {
        boolean attributes;
        try {
            attributes = Files.getFileStore(image).supportsFileAttributeView(UserDefinedFileAttributeView.class);
        } catch (IOException e) {
            attributes = false;
        }
        return new IncomingMark(image, attributes);
    }

    void set() {
        if (userAttributes) {
            try {
                view().write(ATTRIBUTE, ByteBuffer.wrap(new byte[] {1}));
                return;
            } catch (IOException | UnsupportedOperationException e) {
                LOG.debug("{}: no user attribute ({}), the mark is {}", image, e, sidecar.path().getFileName());
            }
        }
        try {
            sidecar.write(identity() + "\n");
        } catch (IOException e) {
            LOG.warn("{}: not marked as an incoming migration's image (a retry needs overwrite=on): {}", image,
                    e.getMessage());
        }
    }

    boolean isSet() {
        try {
            if (userAttributes && view().list().contains(ATTRIBUTE)) {
                return true;
            }
            Optional<String> names = sidecar.read();
            return names.isPresent() && names.get().strip().equals(identity());
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    void clear() {
        try {
            if (userAttributes && view().list().contains(ATTRIBUTE)) {
                view().delete(ATTRIBUTE);
            }
            sidecar.delete();
        } catch (IOException | UnsupportedOperationException e) {
            LOG.warn("{}: the incoming migration's mark stays: {}", image, e.getMessage());
        }
    }

    /** The image's device and inode, as the sidecar names them. */
    private String identity() throws IOException {
        return "file " + Files.readAttributes(image, BasicFileAttributes.class).fileKey();
    }

    private UserDefinedFileAttributeView view() {
        UserDefinedFileAttributeView view = Files.getFileAttributeView(image, UserDefinedFileAttributeView.class);
        if (view == null) {
            throw new UnsupportedOperationException("no user-defined file attributes");
        }
        return view;
    }
}
