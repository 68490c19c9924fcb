package dev.ferry.vm.state;

import dev.ferry.kvm.CpuidEntry;
import dev.ferry.savevm.MigrationException;
import dev.ferry.savevm.Phase;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What the source's guest CPU is, carried in the CONFIG stage so the destination can refuse a
 * stream it could not restore before the source pauses: the CPUID the guest sees, the MSRs its
 * vCPUs migrate and its TSC rate.
 *
 * @param cpuid the CPUID given to every vCPU
 * @param msrs the MSR indices each vCPU snapshot carries
 * @param tscKhz the guest's TSC rate
 */
public record CpuModel(List<CpuidEntry> cpuid, List<Integer> msrs, long tscKhz) {

    /** Copies the lists. */
    public CpuModel {
        cpuid = List.copyOf(cpuid);
        msrs = List.copyOf(msrs);
    }

    /**
     * Destination: fails, naming the first mismatch, unless a guest with the {@code source} model
     * can continue here, where vCPUs get {@code this} model and {@code canScaleTsc} says whether KVM
     * can give them another TSC rate (then the caller sets the source's rate).
     *
     * @param source the source's model
     * @param canScaleTsc whether KVM here can set another TSC rate
     * @throws MigrationException in {@link Phase#CONFIG}, naming the first mismatch
     */
    public void accept(CpuModel source, boolean canScaleTsc) throws MigrationException {
        if (!source.cpuid.equals(cpuid)) {
            throw new MigrationException(Phase.CONFIG, "guest CPUID differs: " + firstDifference(source.cpuid, cpuid));
        }
        Set<Integer> here = new HashSet<>(msrs);
        for (int index : source.msrs) {
            if (!here.contains(index)) {
                throw new MigrationException(Phase.CONFIG, String.format(
                        "the source migrates MSR 0x%x, which this host's KVM cannot restore", index));
            }
        }
        if (source.tscKhz != tscKhz && !canScaleTsc) {
            throw new MigrationException(Phase.CONFIG, "guest TSC rate differs: source " + source.tscKhz + " kHz, destination "
                    + tscKhz + " kHz, and this host's KVM cannot scale the TSC (no KVM_CAP_TSC_CONTROL)");
        }
    }

    private static String firstDifference(List<CpuidEntry> source, List<CpuidEntry> local) {
        for (int i = 0; i < Math.min(source.size(), local.size()); i++) {
            CpuidEntry a = source.get(i);
            CpuidEntry b = local.get(i);
            if (!a.equals(b)) {
                return String.format("leaf 0x%x.%d: source %s, destination %s", a.function(), a.index(), a, b);
            }
        }
        return "source has " + source.size() + " leaves, destination " + local.size();
    }
}
