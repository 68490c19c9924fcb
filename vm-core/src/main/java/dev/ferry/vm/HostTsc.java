package dev.ferry.vm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The host TSC frequency the guest paces its workload by. The guest's TSC runs at the host's
 * here (PLATFORM.md); with constant_tsc the kernel reports it as "cpu MHz" in /proc/cpuinfo.
 * (KVM_GET_TSC_KHZ would be the exact source; kvm-native does not wrap it yet.)
 */
final class HostTsc {

    private static final Path CPUINFO = Path.of("/proc/cpuinfo");
    private static final long FALLBACK_KHZ = 2_000_000;

    private HostTsc() {
    }

    static long khz() {
        try (var lines = Files.lines(CPUINFO)) {
            Optional<String> mhz = lines.filter(l -> l.startsWith("cpu MHz")).findFirst();
            return mhz.map(l -> Math.round(Double.parseDouble(l.substring(l.indexOf(':') + 1).trim()) * 1000))
                    .filter(khz -> khz > 0).orElse(FALLBACK_KHZ);
        } catch (IOException | NumberFormatException e) {
            return FALLBACK_KHZ;
        }
    }
}
