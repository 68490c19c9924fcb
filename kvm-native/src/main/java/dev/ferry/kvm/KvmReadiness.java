package dev.ferry.kvm;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Whether a Ferry machine can run on a KVM device, asked before any VM is built: the device must
 * open read-write, speak the KVM API, and offer every capability the machine cannot do without.
 * When it cannot, the answer is one line naming what is missing.
 */
public final class KvmReadiness {

    /**
     * What a Ferry machine cannot run without: memory slots from user space, the host's CPUID to
     * give its vCPUs, and kicking a running vCPU out of KVM_RUN without a race.
     */
    static final List<Capability> NEEDED = List.of(Capability.USER_MEMORY, Capability.EXT_CPUID,
            Capability.IMMEDIATE_EXIT);

    private KvmReadiness() {
    }

    /**
     * Empty when a machine can run on {@code device}; else what is missing, in one line.
     *
     * @param device the KVM device file
     * @return empty, or one line naming what is missing
     */
    public static Optional<String> problem(Path device) {
        try (Kvm kvm = Kvm.open(device)) {
            return missing(kvm::has);
        } catch (RuntimeException e) {
            return Optional.of(e.getMessage());
        }
    }

    /** The first needed capability {@code has} lacks, as the line a user reads. */
    static Optional<String> missing(Predicate<Capability> has) {
        return NEEDED.stream().filter(has.negate()).findFirst()
                .map(c -> "this KVM lacks KVM_CAP_" + c.name() + ", which a Ferry machine needs");
    }
}
