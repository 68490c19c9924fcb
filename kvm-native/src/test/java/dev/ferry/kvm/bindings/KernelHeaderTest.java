package dev.ferry.kvm.bindings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.PaddingLayout;
import java.lang.foreign.StructLayout;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compiles a probe against the real {@code <linux/kvm.h>} with gcc and checks that every Java
 * struct size, member offset, ioctl number and constant equals C's, and that the probe and the
 * bindings list the same names (so nothing is left unchecked on either side).
 */
class KernelHeaderTest {

    private static final List<Class<?>> STRUCT_CLASSES = List.of(KvmUserspaceMemoryRegion.class, KvmRun.class,
            KvmRegs.class, KvmSegment.class, KvmDtable.class, KvmSregs.class, KvmFpu.class, KvmXsave.class,
            KvmXcrs.class, KvmMsrs.class, KvmMsrList.class, KvmCpuid2.class, KvmLapicState.class,
            KvmVcpuEvents.class, KvmMpState.class, KvmDebugregs.class, KvmIrqchip.class, KvmPitState2.class,
            KvmClockData.class, KvmDirtyLog.class, KvmEnableCap.class, KvmIrqLevel.class, KvmIoeventfd.class,
            Sigaction.class);

    @Test
    void bindingsMatchTheKernelHeader(@TempDir Path dir) throws Exception {
        assumeTrue(gccWorks(), "needs gcc to compile the kvm.h probe (apt-get install gcc)");
        Path source = dir.resolve("kvm_probe.c");
        try (InputStream in = Objects.requireNonNull(getClass().getResourceAsStream("kvm_probe.c"))) {
            Files.copy(in, source);
        }
        Path binary = dir.resolve("kvm_probe");
        String compiled = run("gcc", "-Wall", "-Werror", "-o", binary.toString(), source.toString());
        Map<String, Long> c = parse(run(binary.toString()));
        Map<String, Long> java = javaFacts();

        List<String> problems = new ArrayList<>();
        for (String key : new TreeSet<>(java.keySet())) {
            if (!c.containsKey(key)) {
                problems.add("not in the C probe: " + key);
            } else if (!c.get(key).equals(java.get(key))) {
                problems.add(key + ": Java " + java.get(key) + ", C " + c.get(key));
            }
        }
        for (String key : new TreeSet<>(c.keySet())) {
            if (!java.containsKey(key)) {
                problems.add("not in the Java bindings: " + key);
            }
        }
        assertTrue(compiled.isEmpty(), "gcc warned: " + compiled);
        assertEquals(List.of(), problems, String.join("\n", problems));
        assertTrue(c.size() > 300, "the probe printed only " + c.size() + " facts");
    }

    /** Sizes and member offsets of every layout, every ioctl number and every constant. */
    static Map<String, Long> javaFacts() throws IllegalAccessException {
        List<StructLayout> structs = new ArrayList<>();
        for (Class<?> type : STRUCT_CLASSES) {
            for (Field field : type.getFields()) {
                if (Modifier.isStatic(field.getModifiers()) && field.getType() == StructLayout.class) {
                    structs.add((StructLayout) field.get(null));
                }
            }
        }
        Map<String, Long> facts = new TreeMap<>();
        for (StructLayout struct : structs) {
            String name = struct.name().orElseThrow();
            facts.put("size." + name, struct.byteSize());
            members(struct, "offset." + name + ".", 0, structs, facts);
        }
        for (Ioctl ioctl : Ioctls.ALL) {
            facts.put("ioctl." + ioctl.name(), ioctl.request());
        }
        for (Field field : KvmConstants.class.getFields()) {
            facts.put("const." + field.getName(), (long) field.getInt(null));
        }
        return facts;
    }

    // Named members get an entry; anonymous unions are looked through; nested structs that are
    // themselves checked (kvm_segment in kvm_sregs) are not entered again.
    private static void members(GroupLayout group, String prefix, long base, List<StructLayout> known,
                                Map<String, Long> facts) {
        long offset = base;
        for (MemoryLayout member : group.memberLayouts()) {
            String name = member.name().orElse("");
            if (name.startsWith(CLayouts.ANON) && member instanceof GroupLayout inner) {
                members(inner, prefix, offset, known, facts);
            } else if (!(member instanceof PaddingLayout)) {
                facts.put(prefix + name, offset);
                if (member instanceof GroupLayout inner && known.stream()
                        .noneMatch(k -> k.withoutName().equals(inner.withoutName()))) {
                    members(inner, prefix + name + ".", offset, known, facts);
                }
            }
            if (group instanceof StructLayout) {
                offset += member.byteSize();
            }
        }
    }

    private static Map<String, Long> parse(String output) {
        Map<String, Long> facts = new TreeMap<>();
        for (String line : output.split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                facts.put(line.substring(0, eq), Long.parseUnsignedLong(line.substring(eq + 1).trim()));
            }
        }
        return facts;
    }

    private static boolean gccWorks() {
        try {
            run("gcc", "--version");
            return true;
        } catch (IOException | InterruptedException | IllegalStateException e) {
            return false;
        }
    }

    private static String run(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (process.waitFor() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed: " + output);
        }
        return command[0].equals("gcc") && command.length > 2 ? output.strip() : output;
    }
}
