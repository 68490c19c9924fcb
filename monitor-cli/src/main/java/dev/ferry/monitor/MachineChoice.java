package dev.ferry.monitor;

import java.nio.file.Files;
import java.nio.file.Path;

/** {@code --machine kvm|none|auto}: auto takes KVM when this host offers it. */
final class MachineChoice {

    private MachineChoice() {
    }

    /** "kvm" or "none" for the option's value. */
    static String resolve(String option) {
        return switch (option) {
            case "kvm", "none" -> option;
            case "auto" -> kvmUsable() ? "kvm" : "none";
            default -> throw new IllegalArgumentException("--machine '" + option + "' is not kvm, none or auto");
        };
    }

    static boolean kvmUsable() {
        Path kvm = Path.of("/dev/kvm");
        return Files.isReadable(kvm) && Files.isWritable(kvm);
    }
}
