package dev.ferry.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SequencedMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ceiling's copier over a real loopback socket into a real file (both ends in this JVM). */
class RawCopyTest {

    private static final long SIZE = 8L << 20;

    @TempDir
    Path dir;

    @Test
    void copiesTheImageByteForByte() throws Exception {
        Path image = dir.resolve("image.img");
        Path copy = dir.resolve("copy.img");
        RawCeiling.writeHalfRandom(image, SIZE);
        byte[] bytes = Files.readAllBytes(image);
        assertEquals(SIZE, bytes.length);
        assertNotEquals(0, bytes[0] | bytes[1] | bytes[2] | bytes[3], "the first half is random");
        for (int i = (int) (SIZE / 2); i < SIZE; i++) {
            assertEquals(0, bytes[i], "the second half is zero");
        }

        PipedInputStream announced = new PipedInputStream();
        PrintStream announce = new PrintStream(new PipedOutputStream(announced), true, StandardCharsets.US_ASCII);
        CompletableFuture<Void> receiver = CompletableFuture.runAsync(() -> {
            try {
                RawCopy.receive(copy, announce, 1 << 20); // several background syncs while the copy runs
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        String line = new BufferedReader(new InputStreamReader(announced, StandardCharsets.US_ASCII)).readLine();
        assertTrue(line.startsWith("port "), line);
        SequencedMap<String, Object> result = RawCopy.send(Integer.parseInt(line.substring(5)), image);
        receiver.get(30, TimeUnit.SECONDS);

        assertEquals(SIZE, result.get("bytes"));
        assertTrue((double) result.get("total_ms") > 0);
        assertTrue((double) result.get("sync_ms") >= 0 && (double) result.get("sync_ms") <= (double) result.get("total_ms"));
        assertEquals(-1, Files.mismatch(image, copy));
    }
}
