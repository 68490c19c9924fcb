package dev.ferry.monitor.vm;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ferry's mark on an image it created for an incoming migration, a user extended attribute
 * removed when the migration succeeds: an image a killed destination left behind still carries
 * it, so the next attempt may overwrite it, while any other image holding data is refused. On a
 * file system without user attributes nothing is marked and such leftovers need overwrite=on.
 */
final class IncomingMark {

    private static final Logger LOG = LoggerFactory.getLogger(IncomingMark.class);
    private static final String NAME = "ferry.incoming";

    private IncomingMark() {
    }

    static void set(Path image) {
        try {
            view(image).write(NAME, ByteBuffer.wrap(new byte[] {1}));
        } catch (IOException | UnsupportedOperationException e) {
            LOG.debug("{}: not marked as an incoming migration's image: {}", image, e.toString());
        }
    }

    static boolean isSet(Path image) {
        try {
            return view(image).list().contains(NAME);
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    static void clear(Path image) {
        try {
            if (isSet(image)) {
                view(image).delete(NAME);
            }
        } catch (IOException | UnsupportedOperationException e) {
            LOG.warn("{}: the incoming migration's mark stays: {}", image, e.getMessage());
        }
    }

    private static UserDefinedFileAttributeView view(Path image) {
        UserDefinedFileAttributeView view = Files.getFileAttributeView(image, UserDefinedFileAttributeView.class);
        if (view == null) {
            throw new UnsupportedOperationException("no user-defined file attributes");
        }
        return view;
    }
}
