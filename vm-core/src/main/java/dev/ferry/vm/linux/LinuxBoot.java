package dev.ferry.vm.linux;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * A Linux guest to boot, as QEMU's {@code -kernel}, {@code -initrd} and {@code -append} name it.
 *
 * @param kernel a bzImage (Linux/x86 boot protocol 2.12 or later, with a 64-bit entry)
 * @param initrd an initial RAM disk (e.g. a gzipped cpio archive), if any
 * @param cmdline the kernel command line, e.g. {@code console=ttyS0}
 */
public record LinuxBoot(Path kernel, Optional<Path> initrd, String cmdline) {

    /**
     * Checks the parts are there.
     *
     * @param kernel the bzImage
     * @param initrd the initial RAM disk, if any
     * @param cmdline the command line
     */
    public LinuxBoot {
        Objects.requireNonNull(kernel, "kernel");
        Objects.requireNonNull(initrd, "initrd");
        Objects.requireNonNull(cmdline, "cmdline");
    }
}
