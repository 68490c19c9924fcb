package dev.ferry.vm.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ACPI tables a Linux guest reads, checked by ACPICA's own disassembler and compiler
 * ({@code iasl}, Debian's acpica-tools): every table disassembles without error or warning, its
 * checksum is right (iasl reads no RSDP from a file: its checksums are summed here), and what it declares (CPUs, IOAPIC, SCI override, the virtio-mmio devices with their
 * windows and edge-triggered interrupts) reads back as intended; the DSDT's ASL compiles again.
 */
class AcpiTablesTest {

    private static final long BASE = 0xe_0000;
    private static final List<VirtioMmioDevice> DISKS = List.of(new VirtioMmioDevice(0xd000_0000L, 0x200, 16),
            new VirtioMmioDevice(0xd000_0200L, 0x200, 17));

    @TempDir
    Path dir;

    @Test
    void iaslDisassemblesEveryTableAndReadsBackTheDevicesCpusAndInterrupts() throws Exception {
        Map<String, byte[]> tables = split(AcpiTables.build(BASE, 2, DISKS));
        assertEquals(List.of("RSDP", "FACS", "DSDT", "FACP", "APIC", "XSDT"), List.copyOf(tables.keySet()));

        String dsdt = disassemble("DSDT", tables.get("DSDT"));
        assertContains(dsdt, "Device (VR00)");
        assertContains(dsdt, "Device (VR01)");
        assertContains(dsdt, "Name (_HID, \"LNRO0005\")");
        assertMatches(dsdt, "Memory32Fixed \\(ReadWrite,\\s+0xD0000000,\\s+// Address Base\\s+0x00000200,");
        assertMatches(dsdt, "Memory32Fixed \\(ReadWrite,\\s+0xD0000200,");
        assertMatches(dsdt, "Interrupt \\(ResourceConsumer, Edge, ActiveHigh, Exclusive, ,, \\)\\s+\\{\\s+0x00000010,");
        assertMatches(dsdt, "Interrupt \\(ResourceConsumer, Edge, ActiveHigh, Exclusive, ,, \\)\\s+\\{\\s+0x00000011,");
        compile(dsdt);

        String madt = disassemble("APIC", tables.get("APIC"));
        assertMatches(madt, "Local Apic Address : FEE00000");
        assertEquals(2, count(madt, "Subtable Type : 00 \\[Processor Local APIC\\]"), madt);
        assertMatches(madt, "Local Apic ID : 01");
        assertMatches(madt, "I/O Apic ID : 02\\s+Reserved : 00\\s+Address : FEC00000\\s+Interrupt : 00000000");
        assertMatches(madt, "Source : 09\\s+Interrupt : 00000009\\s+Flags \\(decoded below\\) : 000D\\s+Polarity : 1\\s+Trigger Mode : 3");
        assertMatches(madt, "Interrupt Input LINT : 01");

        String fadt = disassemble("FACP", tables.get("FACP"));
        assertMatches(fadt, "SCI Interrupt : 0009");
        assertMatches(fadt, "PM1A Event Block Address : 00000600");
        assertMatches(fadt, "PM1A Control Block Address : 00000604");
        assertMatches(fadt, "Hardware Reduced \\(V5\\) : 0");
        assertMatches(fadt, "DSDT Address : 000E0080");

        String xsdt = disassemble("XSDT", tables.get("XSDT"));
        assertEquals(2, count(xsdt, "ACPI Table Address +\\d : 00000000000E"), xsdt);
    }

    @Test
    void everyTableSumsToZeroAndTheRsdpPointsAtTheXsdt() {
        byte[] block = AcpiTables.build(BASE, 4, DISKS);
        assertEquals(0, sum(block, 0, 20), "RSDP checksum of ACPI 1.0's 20 bytes");
        assertEquals(0, sum(block, 0, Rsdp.SIZE), "RSDP extended checksum");
        ByteBuffer b = ByteBuffer.wrap(block).order(ByteOrder.LITTLE_ENDIAN);
        long xsdt = b.getLong(24);
        assertEquals("XSDT", new String(block, (int) (xsdt - BASE), 4, StandardCharsets.US_ASCII));
        split(block).forEach((name, table) -> {
            if (!name.equals("RSDP") && !name.equals("FACS")) {
                assertEquals(0, sum(table, 0, table.length), name + " checksum");
            }
        });
    }

    @Test
    void aPackageLongerThan63BytesGetsAMultiByteLength() {
        byte[] body = new byte[100];
        byte[] pkg = Aml.withPkgLength(body);
        assertEquals(102, pkg.length);
        assertEquals(0x40 | (102 & 0x0f), pkg[0] & 0xff);
        assertEquals(102 >> 4, pkg[1] & 0xff);
        assertEquals(63, Aml.withPkgLength(new byte[62]).length, "62 bytes and one length byte still fit 6 bits");
        assertEquals(65, Aml.withPkgLength(new byte[63]).length);
    }

    @Test
    void badNamesWindowsAndPinsAreRefusedInOneLine() {
        assertThrows(IllegalArgumentException.class, () -> Aml.nameSeg("1ABC"));
        assertThrows(IllegalArgumentException.class, () -> Aml.nameSeg("ABCDE"));
        assertThrows(IllegalArgumentException.class, () -> Aml.string("caf\u00e9"));
        IllegalArgumentException above = assertThrows(IllegalArgumentException.class,
                () -> new VirtioMmioDevice(0xffff_ff00L, 0x200, 16));
        assertEquals("virtio-mmio window 0xffffff00+0x200: must lie below 4 GiB", above.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new VirtioMmioDevice(0xd000_0000L, 0x200, 24));
    }

    /** RSDP, FACS and the tables after them, by signature, each as long as its length field says. */
    private static Map<String, byte[]> split(byte[] block) {
        Map<String, byte[]> tables = new LinkedHashMap<>();
        tables.put("RSDP", Arrays.copyOf(block, Rsdp.SIZE));
        ByteBuffer b = ByteBuffer.wrap(block).order(ByteOrder.LITTLE_ENDIAN);
        int at = 0x40;
        while (at < block.length) {
            String signature = new String(block, at, 4, StandardCharsets.US_ASCII);
            int length = b.getInt(at + 4);
            tables.put(signature, Arrays.copyOfRange(block, at, at + length));
            at = (at + length + 7) & -8;
        }
        return tables;
    }

    private String disassemble(String name, byte[] table) throws IOException, InterruptedException {
        Path file = dir.resolve(name.toLowerCase() + ".dat");
        Files.write(file, table);
        String out = iasl("-d", file.toString());
        Path dsl = dir.resolve(name.toLowerCase() + ".dsl");
        assertTrue(Files.exists(dsl), "iasl wrote no " + dsl + ":\n" + out);
        String text = Files.readString(dsl);
        assertTrue(!(out + text).matches("(?s).*(Error|Warning|Invalid|Incorrect).*"),
                name + ": iasl reports a problem:\n" + out + "\n" + text);
        return text.replaceAll("(?m)^\\[[^\\]]*\\] *", ""); // without the "[offset offset length]" column
    }

    private void compile(String asl) throws IOException, InterruptedException {
        Path file = dir.resolve("again.dsl");
        Files.writeString(file, asl);
        String out = iasl("-p", dir.resolve("again").toString(), file.toString());
        assertTrue(Files.exists(dir.resolve("again.aml")), "the disassembled DSDT does not compile:\n" + out);
    }

    private String iasl(String... args) throws IOException, InterruptedException {
        String[] command = new String[args.length + 1];
        command[0] = "iasl";
        System.arraycopy(args, 0, command, 1, args.length);
        Process p;
        try {
            p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        } catch (IOException e) {
            assumeTrue(false, "needs iasl (Debian package acpica-tools) to check the ACPI tables");
            throw e;
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "iasl did not finish");
        assertEquals(0, p.exitValue(), "iasl " + String.join(" ", args) + ":\n" + out);
        return out;
    }

    private static void assertContains(String text, String part) {
        assertTrue(text.contains(part), "no '" + part + "' in:\n" + text);
    }

    private static void assertMatches(String text, String regex) {
        assertTrue(Pattern.compile(regex).matcher(text).find(), "no /" + regex + "/ in:\n" + text);
    }

    private static int count(String text, String regex) {
        return (int) Pattern.compile(regex).matcher(text).results().count();
    }

    private static int sum(byte[] bytes, int from, int to) {
        int s = 0;
        for (int i = from; i < to; i++) {
            s += bytes[i];
        }
        return s & 0xff;
    }
}
