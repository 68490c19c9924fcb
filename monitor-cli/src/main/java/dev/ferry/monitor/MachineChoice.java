package dev.ferry.monitor;

import dev.ferry.kvm.Kvm;
import dev.ferry.kvm.KvmReadiness;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * {@code --machine kvm|none|auto}: auto takes KVM when this host can run a Ferry machine on it
 * and otherwise says why not and takes none; an explicit kvm fails with that reason.
 */
final class MachineChoice {

    private MachineChoice() {
    }

    /** "kvm" or "none" for the option's value; {@code notice} hears why auto fell back to none. */
    static String resolve(String option, Consumer<String> notice) {
        return switch (option) {
            case "none" -> option;
            case "kvm" -> {
                Optional<String> problem = kvmProblem();
                if (problem.isPresent()) {
                    throw new IllegalArgumentException("--machine kvm: KVM is not usable: " + problem.get());
                }
                yield option;
            }
            case "auto" -> {
                Optional<String> problem = kvmProblem();
                problem.ifPresent(p -> notice.accept("KVM is not usable (" + p + "); using --machine none"));
                yield problem.isEmpty() ? "kvm" : "none";
            }
            default -> throw new IllegalArgumentException("--machine '" + option + "' is not kvm, none or auto");
        };
    }

    /** Empty when a Ferry machine can run on this host's /dev/kvm; else what is missing. */
    static Optional<String> kvmProblem() {
        return KvmReadiness.problem(Kvm.DEVICE);
    }
}
