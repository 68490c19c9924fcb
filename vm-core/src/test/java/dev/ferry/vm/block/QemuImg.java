package dev.ferry.vm.block;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;

/** The real qemu-img and qemu-io (Debian qemu-utils) as the oracle of the interoperability tests. */
final class QemuImg {

    private static final Pattern MAP_ENTRY = Pattern.compile(
            "\"start\": (\\d+), \"length\": (\\d+), \"depth\": (\\d+), \"present\": (true|false), "
                    + "\"zero\": (true|false), \"data\": (true|false)");

    private QemuImg() {
    }

    /** Skips the calling test, saying why, when qemu-img is not installed. */
    static void assumeAvailable() {
        boolean found = Files.isExecutable(Path.of("/usr/bin/qemu-img")) && Files.isExecutable(Path.of("/usr/bin/qemu-io"));
        Assumptions.assumeTrue(found, "needs qemu-img and qemu-io (Debian qemu-utils; .ci/run installs it)");
    }

    record Result(int exitCode, String output) {
    }

    static Result run(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(args));
        command.set(0, "/usr/bin/" + args[0]);
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] output = process.getInputStream().readAllBytes();
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IOException("timed out: " + command);
        }
        return new Result(process.exitValue(), new String(output, StandardCharsets.UTF_8));
    }

    /** Runs a command that must succeed and returns its output. */
    static String ok(String... args) throws IOException, InterruptedException {
        Result result = run(args);
        assertEquals(0, result.exitCode(), () -> String.join(" ", args) + " failed:\n" + result.output());
        return result.output();
    }

    /** The guest-visible content of an image, as qemu-img converts it to raw. */
    static byte[] contentOf(Path image, Path scratch) throws IOException, InterruptedException {
        Path raw = scratch.resolve("oracle-" + System.nanoTime() + ".raw");
        ok("qemu-img", "convert", "-O", "raw", image.toString(), raw.toString());
        byte[] content = Files.readAllBytes(raw);
        Files.delete(raw);
        return content;
    }

    /** qemu-img map of an image, as Ferry's allocations merged into maximal extents. */
    static List<Extent> map(Path image) throws IOException, InterruptedException {
        String json = ok("qemu-img", "map", "--output=json", image.toString());
        List<Extent> extents = new ArrayList<>();
        Matcher m = MAP_ENTRY.matcher(json);
        while (m.find()) {
            long start = Long.parseLong(m.group(1));
            long length = Long.parseLong(m.group(2));
            int depth = Integer.parseInt(m.group(3));
            boolean data = Boolean.parseBoolean(m.group(6));
            Allocation allocation = depth > 0 ? Allocation.BACKING : data ? Allocation.DATA : Allocation.ZERO;
            add(extents, new Extent(start, length, allocation));
        }
        return extents;
    }

    /** Ferry's allocation map of a device, merged into maximal extents. */
    static List<Extent> map(BlockDevice device) throws IOException {
        List<Extent> extents = new ArrayList<>();
        long offset = 0;
        while (offset < device.size()) {
            Extent extent = device.allocation(offset, device.size() - offset);
            add(extents, extent);
            offset = extent.end();
        }
        return extents;
    }

    private static void add(List<Extent> extents, Extent extent) {
        if (!extents.isEmpty()) {
            Extent last = extents.getLast();
            if (last.allocation() == extent.allocation() && last.end() == extent.offset()) {
                extents.set(extents.size() - 1, new Extent(last.offset(), last.length() + extent.length(), last.allocation()));
                return;
            }
        }
        extents.add(extent);
    }
}
