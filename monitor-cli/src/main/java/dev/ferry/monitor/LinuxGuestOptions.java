package dev.ferry.monitor;

import dev.ferry.kvm.KvmImplementation;
import dev.ferry.vm.linux.LinuxBoot;
import dev.ferry.vm.linux.LinuxImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * {@code --kernel}, {@code --initrd} and {@code --append} as {@code ferry run} and {@code ferry
 * demo} take them, checked before anything starts: the files, the kernel's boot protocol and
 * sizes against the guest's RAM, and KVM, on which alone a Linux guest runs.
 */
final class LinuxGuestOptions {

    private LinuxGuestOptions() {
    }

    /** The Linux guest the options name, or empty for the built-in guest; {@code machine} is --machine's value. */
    static Optional<LinuxBoot> check(Path kernel, Path initrd, String append, String machine, long memoryBytes)
            throws IOException {
        if (kernel == null) {
            if (initrd != null || !append.isEmpty()) {
                throw new IllegalArgumentException((initrd != null ? "--initrd" : "--append") + " needs --kernel");
            }
            return Optional.empty();
        }
        if (!machine.equals("kvm") && !machine.equals("auto")) {
            throw new IllegalArgumentException("--kernel needs --machine kvm, not " + machine);
        }
        LinuxBoot boot = new LinuxBoot(kernel, Optional.ofNullable(initrd), append);
        LinuxImage.read(boot, memoryBytes);
        Optional<String> problem = MachineChoice.kvmProblem().or(() -> KvmImplementation.host().linuxProblem());
        if (problem.isPresent()) {
            throw new IllegalArgumentException("--kernel needs KVM, which is not usable here: " + problem.get());
        }
        return Optional.of(boot);
    }
}
