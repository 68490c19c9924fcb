package dev.ferry.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ferry img} in qemu-img's spellings, checked by the real qemu-img 7.2 on the same images:
 * its check finds no errors in what Ferry creates, its JSON info agrees key by key with Ferry's,
 * its compare agrees with Ferry's convert and compare.
 */
class ImgQemuIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The qemu-img info keys Ferry reports; each must hold qemu-img's value. */
    private static final List<String> KEYS = List.of("virtual-size", "filename", "cluster-size", "format", "actual-size",
            "full-backing-filename", "backing-filename", "backing-filename-format", "dirty-flag",
            "format-specific/type", "format-specific/data/compat", "format-specific/data/corrupt");

    @BeforeAll
    static void needsQemuImg() {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/qemu-img")), "needs qemu-img (Debian's qemu-utils)");
    }

    @Test
    void createAndInfoAgreeWithQemuImg(@TempDir Path dir) throws Exception {
        ferry(dir, 0, "img", "create", "-f", "raw", "base.raw", "1.5M");
        ferry(dir, 0, "img", "create", "-f", "qcow2", "-F", "raw", "-b", "base.raw", "-o", "cluster_size=4096,preallocation=off", "top.qcow2", "2M");
        ferry(dir, 0, "img", "create", "-f", "qcow2", "-o", "backing_file=top.qcow2,backing_fmt=qcow2", "overlay.qcow2");
        ferry(dir, 0, "img", "create", "-f", "qcow2", "plain.qcow2", "3.5M");
        for (String image : List.of("base.raw", "top.qcow2", "overlay.qcow2", "plain.qcow2")) {
            if (image.endsWith(".qcow2")) {
                assertTrue(run(dir, 0, "qemu-img", "check", image).contains("No errors were found on the image."), image);
            }
            JsonNode ours = JSON.readTree(ferry(dir, 0, "img", "info", "--output=json", image));
            JsonNode theirs = JSON.readTree(run(dir, 0, "qemu-img", "info", "--output=json", image));
            for (String key : KEYS) {
                assertEquals(at(theirs, key), at(ours, key), image + " " + key);
            }
            List<String> ourKeys = keys(ours, "");
            assertTrue(keys(theirs, "").containsAll(ourKeys), image + ": keys qemu-img lacks in " + ourKeys);
        }
        JsonNode chain = JSON.readTree(ferry(dir, 0, "img", "info", "--output=json", "--backing-chain", "overlay.qcow2"));
        JsonNode qemuChain = JSON.readTree(run(dir, 0, "qemu-img", "info", "--output=json", "--backing-chain", "overlay.qcow2"));
        assertEquals(3, chain.size());
        for (int i = 0; i < 3; i++) {
            assertEquals(qemuChain.get(i).get("filename"), chain.get(i).get("filename"));
        }
        assertTrue(ferry(dir, 1, "img", "info", "-f", "raw", "top.qcow2").isEmpty());
        assertTrue(ferry(dir, 1, "img", "create", "-f", "qcow2", "-F", "qcow2", "-b", "base.raw", "bad.qcow2").isEmpty());
        assertTrue(ferry(dir, 1, "img", "create", "-f", "qcow2", "-o", "compat=0.10", "bad.qcow2", "1M").isEmpty());
    }

    @Test
    void convertAndCompareAgreeWithQemuImg(@TempDir Path dir) throws Exception {
        ferry(dir, 0, "img", "create", "-f", "raw", "data.raw", "3M");
        try (FileChannel raw = FileChannel.open(dir.resolve("data.raw"), StandardOpenOption.WRITE)) {
            byte[] bytes = new byte[300_000];
            new java.util.Random(5).nextBytes(bytes);
            raw.write(ByteBuffer.wrap(bytes), 1 << 20);
        }
        ferry(dir, 0, "img", "convert", "-f", "raw", "-O", "qcow2", "-o", "cluster_size=65536", "data.raw", "data.qcow2");
        assertTrue(run(dir, 0, "qemu-img", "check", "data.qcow2").contains("No errors were found on the image."));
        assertEquals("Images are identical.\n", run(dir, 0, "qemu-img", "compare", "data.raw", "data.qcow2"));
        ferry(dir, 0, "img", "convert", "-O", "raw", "data.qcow2", "back.raw");
        assertEquals("Images are identical.\n", run(dir, 0, "qemu-img", "compare", "-f", "raw", "-F", "raw", "data.raw", "back.raw"));
        assertEquals("Images are identical.\n", ferry(dir, 0, "img", "compare", "data.raw", "data.qcow2"));

        run(dir, 0, "qemu-img", "convert", "-O", "qcow2", "data.raw", "theirs.qcow2");
        try (FileChannel raw = FileChannel.open(dir.resolve("back.raw"), StandardOpenOption.WRITE)) {
            raw.write(ByteBuffer.wrap(new byte[] {1}), (2 << 20) + 777);
        }
        String qemuSays = run(dir, 1, "qemu-img", "compare", "theirs.qcow2", "back.raw");
        assertEquals("Content mismatch at offset " + ((2 << 20) + 512) + "!\n", qemuSays);
        assertEquals(qemuSays, ferry(dir, 1, "img", "compare", "theirs.qcow2", "back.raw"));
    }

    private static Object at(JsonNode node, String path) {
        JsonNode value = node;
        for (String key : path.split("/")) {
            value = value == null ? null : value.get(key);
        }
        return value == null ? "(absent)" : value;
    }

    private static List<String> keys(JsonNode node, String prefix) {
        List<String> keys = new ArrayList<>();
        for (Iterator<String> names = node.fieldNames(); names.hasNext();) {
            String name = names.next();
            keys.add(prefix + name);
            if (node.get(name).isObject()) {
                keys.addAll(keys(node.get(name), prefix + name + "/"));
            }
        }
        return keys;
    }

    private static String ferry(Path dir, int status, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(FerryImage.launcher().toString()));
        command.addAll(List.of(args));
        return run(dir, status, command.toArray(String[]::new));
    }

    private static String run(Path dir, int status, String... command) throws Exception {
        Path output = Files.createTempFile("img", ".out");
        try {
            Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectOutput(output.toFile())
                    .redirectError(ProcessBuilder.Redirect.DISCARD).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            assertTrue(process.waitFor(120, TimeUnit.SECONDS), String.join(" ", command) + " hangs");
            String text = Files.readString(output, StandardCharsets.UTF_8);
            assertEquals(status, process.exitValue(), String.join(" ", command) + ": " + text);
            return text;
        } finally {
            Files.deleteIfExists(output);
        }
    }
}
