package dev.ferry.transport;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Closing a listener or a channel a second time does nothing, and in particular no harm. */
class CloseTwiceTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    @Test
    void aSecondCloseOfAUnixListenerLeavesTheSocketOfANewerListenerAlone() throws Exception {
        String uri = "unix:" + dir.resolve("m.sock");
        MigrationListener first = Transports.listen(uri);
        first.close();
        try (MigrationListener second = Transports.listen(uri)) {
            first.close();
            assertTrue(Files.exists(dir.resolve("m.sock")), "the newer listener's socket file is still there");
            try (MigrationChannel out = Transports.connect(uri, TIMEOUT);
                 MigrationChannel in = second.accept(TIMEOUT)) {
                out.write(ByteBuffer.wrap(new byte[] {7}));
                ByteBuffer one = ByteBuffer.allocate(1);
                assertEquals(1, in.read(one));
            }
        }
    }

    @Test
    void aTcpChannelClosesTwiceHarmlessly() throws Exception {
        try (MigrationListener listener = Transports.listen("tcp:127.0.0.1:0")) {
            MigrationChannel out = Transports.connect(listener.boundUri(), TIMEOUT);
            try (MigrationChannel in = listener.accept(TIMEOUT)) {
                out.close();
                assertDoesNotThrow(out::close);
                assertFalse(out.isOpen());
                assertEquals(-1, in.read(ByteBuffer.allocate(1)), "the other side sees the end of the stream");
            }
            assertDoesNotThrow(listener::close);
        }
    }
}
