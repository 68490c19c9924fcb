package dev.ferry.kvm;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Which kernel module serves {@code /dev/kvm}, told by the modules the kernel lists under
 * {@code /sys/module} (built in or loaded). It matters for one thing the KVM API does not say:
 * PVM ({@code kvm_pvm}, a KVM for hosts that are themselves guests) runs a guest's ring 3
 * natively but its ring 0 only through KVM's instruction emulator, which an unmodified kernel
 * such as Debian's does not get through; Ferry's built-in guest keeps its ring 0 to a stub and
 * runs there.
 */
public enum KvmImplementation {
    /** Intel VMX. */
    INTEL("kvm_intel"),
    /** AMD SVM. */
    AMD("kvm_amd"),
    /** Pagetable-based Virtual Machine. */
    PVM("kvm_pvm"),
    /** None of those listed (no KVM module, or one Ferry does not know). */
    UNKNOWN("");

    private static final Path SYS_MODULE = Path.of("/sys/module");

    private final String module;

    KvmImplementation(String module) {
        this.module = module;
    }

    /**
     * This host's.
     *
     * @return the implementation {@code /sys/module} names
     */
    public static KvmImplementation host() {
        return listedIn(SYS_MODULE);
    }

    /**
     * The implementation whose module {@code sysModule} lists; a full KVM (Intel or AMD) wins over
     * PVM where both are there, since /dev/kvm is then the full one's.
     *
     * @param sysModule a folder laid out as {@code /sys/module}
     * @return the implementation found, or {@link #UNKNOWN}
     */
    static KvmImplementation listedIn(Path sysModule) {
        for (KvmImplementation candidate : values()) {
            if (candidate != UNKNOWN && Files.isDirectory(sysModule.resolve(candidate.module))) {
                return candidate;
            }
        }
        return UNKNOWN;
    }

    /**
     * The kernel module's name.
     *
     * @return e.g. {@code kvm_amd}; empty for {@link #UNKNOWN}
     */
    public String module() {
        return module;
    }

    /**
     * Why an unmodified Linux kernel cannot boot on this KVM, in one line; empty where it can (or
     * where nothing says it cannot).
     *
     * @return the reason, or empty
     */
    public Optional<String> linuxProblem() {
        return this == PVM
                ? Optional.of("this host's KVM is PVM (kvm_pvm), which runs a guest kernel's ring 0 only through KVM's "
                        + "instruction emulator, where an unmodified Linux does not boot; Linux needs kvm_intel or kvm_amd")
                : Optional.empty();
    }
}
