package dev.ferry.savevm.fuzz;

import java.util.List;

/** The configuration record of the fuzzed destination: the same on both sides of a valid stream. */
record FuzzConfig(String machine, long memoryBytes, List<Disk> disks) {

    record Disk(String name, long sizeBytes, boolean readOnly) {
    }

    static FuzzConfig standard() {
        return new FuzzConfig("ferry-pc", 4096, List.of(new Disk("disk0", 1 << 20, false), new Disk("cdrom", 0, true)));
    }
}
