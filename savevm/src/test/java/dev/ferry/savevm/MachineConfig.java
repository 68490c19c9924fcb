package dev.ferry.savevm;

import java.util.List;

/** The configuration record of the tests' VM. */
record MachineConfig(String machine, long memoryBytes, List<Disk> disks) {

    record Disk(String name, long sizeBytes) {
    }

    static MachineConfig of(long memoryBytes) {
        return new MachineConfig("ferry-pc", memoryBytes, List.of(new Disk("disk0", 1 << 20), new Disk("disk1", 2 << 20)));
    }
}
