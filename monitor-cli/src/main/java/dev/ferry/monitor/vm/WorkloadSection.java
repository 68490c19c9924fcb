package dev.ferry.monitor.vm;

import dev.ferry.savevm.SectionId;
import dev.ferry.savevm.StateSection;
import dev.ferry.vm.workload.DiskWorkload;
import dev.ferry.vm.workload.DiskWorkloadState;
import java.util.Optional;

/**
 * A drive's host workload as a migration section: saved at the switch (the workload is paused
 * then), loaded on the destination, which restarts the workload from it once the whole stream
 * checked out.
 */
final class WorkloadSection implements StateSection<DiskWorkloadState> {

    private final SectionId id;
    private final DiskWorkload source;
    private volatile DiskWorkloadState loaded;

    private WorkloadSection(String drive, DiskWorkload source) {
        this.id = new SectionId("workload:" + drive, 0, DiskWorkloadState.VERSION);
        this.source = source;
    }

    /** The source side: saves {@code workload}'s state. */
    static WorkloadSection saving(String drive, DiskWorkload workload) {
        return new WorkloadSection(drive, workload);
    }

    /** The destination side: keeps the state it receives. */
    static WorkloadSection loading(String drive) {
        return new WorkloadSection(drive, null);
    }

    @Override
    public SectionId id() {
        return id;
    }

    @Override
    public Class<DiskWorkloadState> stateType() {
        return DiskWorkloadState.class;
    }

    @Override
    public DiskWorkloadState save() {
        return source.state();
    }

    @Override
    public void load(DiskWorkloadState state, int version) {
        loaded = state;
    }

    Optional<DiskWorkloadState> received() {
        return Optional.ofNullable(loaded);
    }
}
