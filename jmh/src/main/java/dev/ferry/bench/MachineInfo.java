package dev.ferry.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.SequencedMap;

/**
 * The machine a run measured, as the results must state it: cores, memory, CPU, kernel, JDK,
 * whether KVM was there, and the load average when the run started (other work on a shared
 * machine moves every figure).
 */
record MachineInfo(int cores, long memoryBytes, String cpu, String kernel, String jdk, boolean kvm, String loadAverage) {

    static MachineInfo probe() {
        return new MachineInfo(Runtime.getRuntime().availableProcessors(), totalMemory(), cpuModel(),
                System.getProperty("os.name") + " " + System.getProperty("os.version"),
                System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"),
                Files.isWritable(Path.of("/dev/kvm")), currentLoad());
    }

    private static List<String> lines(String file) {
        try {
            return Files.readAllLines(Path.of(file));
        } catch (IOException e) {
            return List.of();
        }
    }

    private static long totalMemory() {
        // "MemTotal:       24600000 kB"
        return lines("/proc/meminfo").stream().filter(l -> l.startsWith("MemTotal:"))
                .map(l -> Long.parseLong(l.replaceAll("\\D", "")) * 1024).findFirst().orElse(-1L);
    }

    private static String cpuModel() {
        return lines("/proc/cpuinfo").stream().filter(l -> l.startsWith("model name"))
                .map(l -> l.substring(l.indexOf(':') + 1).strip()).findFirst().orElse("unknown");
    }

    private static String currentLoad() {
        List<String> load = lines("/proc/loadavg");
        return load.isEmpty() ? "unknown" : String.join(" ", List.of(load.getFirst().split(" ")).subList(0, 3));
    }

    /** One line for the table's heading. */
    String summary() {
        return cores + " cores, " + (memoryBytes >> 30) + " GiB, " + cpu + ", " + kernel + ", " + jdk
                + (kvm ? ", /dev/kvm" : ", no /dev/kvm (--machine none)") + ", load " + loadAverage;
    }

    SequencedMap<String, Object> toJson() {
        SequencedMap<String, Object> json = new LinkedHashMap<>();
        json.put("cores", cores);
        json.put("memory_bytes", memoryBytes);
        json.put("cpu", cpu);
        json.put("kernel", kernel);
        json.put("jdk", jdk);
        json.put("kvm", kvm);
        json.put("load_average_at_start", loadAverage);
        return json;
    }
}
