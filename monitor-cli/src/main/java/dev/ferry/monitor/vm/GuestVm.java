package dev.ferry.monitor.vm;

import dev.ferry.savevm.LiveSection;
import dev.ferry.savevm.Section;
import dev.ferry.savevm.SectionRegistry;
import dev.ferry.savevm.StateSection;
import dev.ferry.vm.Machine;
import dev.ferry.vm.RunState;
import dev.ferry.vm.block.BlockDevice;
import dev.ferry.vm.guest.GuestCommand;
import dev.ferry.vm.guest.GuestStatus;
import dev.ferry.vm.migration.RamSection;
import dev.ferry.vm.state.MachineConfig;
import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;
import java.util.SequencedMap;

/** {@code --machine kvm}: the built-in guest on a KVM {@link Machine}. */
final class GuestVm implements VmBody {

    private final Machine machine;
    private final SequencedMap<String, BlockDevice> disks = new LinkedHashMap<>();

    GuestVm(Machine machine, List<String> driveIds) {
        this.machine = machine;
        List<BlockDevice> devices = machine.disks();
        for (int i = 0; i < devices.size(); i++) {
            disks.put(driveIds.get(i), devices.get(i));
        }
    }

    @Override
    public String machine() {
        return "kvm";
    }

    @Override
    public Optional<MachineConfig> kvmConfig() {
        return Optional.of(machine.config());
    }

    @Override
    public SequencedMap<String, BlockDevice> disks() {
        return disks;
    }

    @Override
    public long start() {
        return machine.start();
    }

    @Override
    public void pause() {
        machine.pause();
    }

    @Override
    public void resume() {
        machine.resume();
    }

    /** The guest RAM's live section, whose part of a resume the destination tells. */
    RamSection ram() {
        return machine.ram();
    }

    @Override
    public void registerSections(SectionRegistry registry) {
        for (Section section : machine.sections().sections()) {
            switch (section) {
                case LiveSection live -> registry.register(live);
                case StateSection<?> state -> registry.register(state);
            }
        }
    }

    @Override
    public Optional<String> migrationBlocker() {
        return machine.migrationBlocker();
    }

    @Override
    public List<String> workloadDrives() {
        return List.of();
    }

    @Override
    public List<String> guestLines() {
        if (machine.runsLinux()) {
            return List.of(machineLine(), "guest: Linux (its console is the serial port)");
        }
        GuestStatus status = machine.guestStatus();
        return List.of(machineLine(),
                "guest: " + (status.valid() ? status.state().name().toLowerCase(java.util.Locale.ROOT) : "not up yet"),
                "pages written " + status.pagesWritten() + ", blocks written " + status.blocksWritten()
                        + ", read " + status.blocksRead() + ", verified " + status.blocksVerified()
                        + ", errors " + status.errors(),
                "last verify: " + switch (status.lastVerify()) {
                    case 1 -> "ok";
                    case 2 -> "FAILED";
                    default -> "none";
                });
    }

    private String machineLine() {
        return "machine: kvm, " + machine.state().name().toLowerCase(java.util.Locale.ROOT)
                + (machine.stateReason().isEmpty() ? "" : " (" + machine.stateReason() + ")");
    }

    @Override
    public String verify(Duration timeout) throws IOException {
        if (machine.runsLinux()) {
            throw new IOException("a Linux guest has no verify command (only the built-in guest checks its own writes)");
        }
        if (machine.state() != RunState.RUNNING) {
            throw new IOException("the guest can only verify while it runs (it is " + machine.state() + ")");
        }
        int seq = machine.command(GuestCommand.VERIFY);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            GuestStatus status = machine.guestStatus();
            if (status.commandDone() - seq >= 0) {
                return status.lastVerify() == 1
                        ? "verify ok pages=" + status.pagesWritten() + " blocks=" + status.blocksWritten()
                        : "verify FAILED (see the guest's serial output)";
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("the guest did not finish verifying within " + timeout.toSeconds() + " s");
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while the guest verified", e);
            }
        }
    }

    @Override
    public Optional<String> ended() {
        RunState state = machine.state();
        return state == RunState.SHUTDOWN || state == RunState.FAILED
                ? Optional.of("the guest " + (state == RunState.FAILED ? "failed: " : "shut down: ") + machine.stateReason())
                : Optional.empty();
    }

    @Override
    public void close() {
        machine.close();
    }
}
