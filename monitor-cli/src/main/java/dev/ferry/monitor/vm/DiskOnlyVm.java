package dev.ferry.monitor.vm;

import dev.ferry.savevm.SectionRegistry;
import dev.ferry.vm.block.BlockDevice;
import dev.ferry.vm.state.MachineConfig;
import dev.ferry.vm.workload.DiskWorkload;
import dev.ferry.vm.workload.DiskWorkloadState;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SequencedMap;

/**
 * {@code --machine none}: a VM without vCPU or RAM, QEMU's {@code -machine none} with disks.
 * A host workload writes self-checking blocks to the first writable disk, standing in for the
 * built-in guest where there is no KVM; its state migrates with the disks, so the destination
 * carries on and can verify every block the source wrote.
 */
final class DiskOnlyVm implements VmBody {

    private final SequencedMap<String, BlockDevice> disks;
    private final Map<String, DiskWorkload> workloads;

    private DiskOnlyVm(SequencedMap<String, BlockDevice> disks, Map<String, DiskWorkload> workloads) {
        this.disks = disks;
        this.workloads = workloads;
    }

    /** A fresh VM: the workload (if {@code settings} has a rate) starts on the first writable disk. */
    static DiskOnlyVm boot(SequencedMap<String, BlockDevice> disks, WorkloadSettings settings) {
        Map<String, DiskWorkload> workloads = new LinkedHashMap<>();
        disks.entrySet().stream().filter(e -> !e.getValue().readOnly()).findFirst().ifPresent(first -> {
            long size = first.getValue().size();
            workloads.put(first.getKey(), DiskWorkload.create(first.getValue(), DiskWorkload.Settings.forDisk(
                    size, settings.seed(), settings.bytesPerSecond(), settings.blockSize(), settings.readPercent())));
        });
        return new DiskOnlyVm(disks, workloads);
    }

    /** The destination's VM after a migration: each workload carries on from its migrated state. */
    static DiskOnlyVm migrated(SequencedMap<String, BlockDevice> disks, Map<String, DiskWorkloadState> states) {
        Map<String, DiskWorkload> workloads = new LinkedHashMap<>();
        states.forEach((drive, state) -> workloads.put(drive, DiskWorkload.restore(disks.get(drive), state)));
        return new DiskOnlyVm(disks, workloads);
    }

    @Override
    public String machine() {
        return "none";
    }

    @Override
    public Optional<MachineConfig> kvmConfig() {
        return Optional.empty();
    }

    @Override
    public SequencedMap<String, BlockDevice> disks() {
        return disks;
    }

    @Override
    public long start() {
        workloads.values().forEach(DiskWorkload::resume);
        return System.nanoTime();
    }

    @Override
    public void pause() {
        workloads.values().forEach(DiskWorkload::pause);
    }

    @Override
    public void resume() {
        workloads.values().forEach(DiskWorkload::resume);
    }

    @Override
    public Optional<String> migrationBlocker() {
        return Optional.empty();
    }

    @Override
    public void registerSections(SectionRegistry registry) {
        workloads.forEach((drive, workload) -> registry.register(WorkloadSection.saving(drive, workload)));
    }

    @Override
    public List<String> workloadDrives() {
        return List.copyOf(workloads.keySet());
    }

    @Override
    public List<String> guestLines() {
        List<String> lines = new ArrayList<>();
        lines.add("machine: none (a host workload writes self-checking blocks; no vCPU)");
        workloads.forEach((drive, workload) -> {
            DiskWorkload.Counters counters = workload.counters();
            lines.add(String.format("workload %s: blocks written %d, read back %d, errors %d", drive,
                    counters.blocksWritten(), counters.blocksRead(), counters.errors()));
        });
        return lines;
    }

    @Override
    public String verify(Duration timeout) throws IOException {
        if (workloads.isEmpty()) {
            return "no workload to verify";
        }
        List<String> verdicts = new ArrayList<>();
        for (Map.Entry<String, DiskWorkload> entry : workloads.entrySet()) {
            DiskWorkload.Verification result = entry.getValue().verify();
            verdicts.add(entry.getKey() + ": " + result.describe());
        }
        return String.join("; ", verdicts);
    }

    @Override
    public Optional<String> ended() {
        return Optional.empty();
    }

    @Override
    public void close() {
        workloads.values().forEach(DiskWorkload::close);
        Drives.closeAll(disks);
    }
}
