package dev.ferry.vm.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

/**
 * The Linux test guest's initramfs, read as the kernel unpacks it (gzip, cpio "newc"): it carries
 * the virtio modules Debian builds as modules, and its /init loads them in an order where every
 * module's dependencies (the "depends=" of its .modinfo) come first, before it looks for /dev/vda.
 */
class TestGuestInitramfsTest {

    private static final List<String> NEEDED = List.of("virtio_ring", "virtio", "virtio_mmio", "virtio_blk");
    private static final Pattern DEPENDS = Pattern.compile("depends=([a-z0-9_,-]*)\0");

    @Test
    void initLoadsEveryVirtioModuleAfterItsDependencies() throws IOException, InterruptedException {
        TestLinuxGuest guest = TestLinuxGuest.require();
        Map<String, byte[]> files = unpack(Files.readAllBytes(guest.initrd()));
        String init = new String(files.get("init"), StandardCharsets.US_ASCII);
        Matcher loop = Pattern.compile("for m in ([a-z_ ]+); do\\s+insmod /lib/modules/\\$m\\.ko").matcher(init);
        assertTrue(loop.find(), "no insmod loop in /init:\n" + init);
        List<String> order = Arrays.asList(loop.group(1).trim().split(" +"));
        assertTrue(order.containsAll(NEEDED), "init loads " + order);
        for (int i = 0; i < order.size(); i++) {
            byte[] ko = files.get("lib/modules/" + order.get(i) + ".ko");
            assertTrue(ko != null && ko.length > 4 && ko[0] == 0x7f && ko[1] == 'E', order.get(i) + ".ko is no ELF module");
            Matcher depends = DEPENDS.matcher(new String(ko, StandardCharsets.ISO_8859_1));
            assertTrue(depends.find(), order.get(i) + ".ko has no depends= in its .modinfo");
            for (String dependency : depends.group(1).split(",")) {
                assertTrue(dependency.isEmpty() || order.subList(0, i).contains(dependency),
                        order.get(i) + " needs " + dependency + " loaded before it; init loads " + order);
            }
        }
        assertTrue(init.indexOf("insmod") < init.indexOf("-b /dev/vda"), "init looks for /dev/vda after loading the modules");
    }

    /** The regular files of a gzipped newc archive, by path without the leading "./". */
    static Map<String, byte[]> unpack(byte[] gzipped) throws IOException {
        byte[] cpio;
        try (InputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(gzipped))) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            in.transferTo(out);
            cpio = out.toByteArray();
        }
        Map<String, byte[]> files = new LinkedHashMap<>();
        int at = 0;
        while (true) {
            String header = new String(cpio, at, 110, StandardCharsets.US_ASCII);
            assertEquals("070701", header.substring(0, 6), "newc magic at " + at);
            int mode = field(header, 1);
            int size = field(header, 6);
            int nameSize = field(header, 11);
            String name = new String(cpio, at + 110, nameSize - 1, StandardCharsets.US_ASCII);
            if (name.equals("TRAILER!!!")) {
                return files;
            }
            int data = align4(at + 110 + nameSize);
            if ((mode & 0xf000) == 0x8000) {
                files.put(name.startsWith("./") ? name.substring(2) : name, Arrays.copyOfRange(cpio, data, data + size));
            }
            at = align4(data + size);
        }
    }

    private static int field(String header, int index) {
        return Integer.parseUnsignedInt(header.substring(6 + 8 * index, 14 + 8 * index), 16);
    }

    private static int align4(int offset) {
        return (offset + 3) & -4;
    }
}
