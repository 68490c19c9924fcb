package dev.ferry.vm.linux;

import dev.ferry.vm.memory.RamLayout;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A {@link LinuxBoot} read and checked against the guest's RAM, before any VM exists: the
 * kernel's setup header, the initrd, the command line and where each will lie. Anything that
 * would keep the kernel from starting fails here, in one line.
 *
 * @param header the kernel's setup header
 * @param kernel the whole bzImage
 * @param initrd the initrd's bytes (empty without one)
 * @param cmdline the command line as the kernel reads it (ASCII, no terminating zero)
 * @param initrdAddress where the initrd goes (0 without one)
 */
public record LinuxImage(SetupHeader header, byte[] kernel, byte[] initrd, byte[] cmdline, long initrdAddress) {

    /** Where the protected-mode kernel is loaded: 1 MiB, as every PC boot loader does. */
    public static final long LOAD_ADDRESS = 0x10_0000L;
    /** Where a relocatable x86-64 kernel moves itself to unpack (CONFIG_PHYSICAL_START's default, 16 MiB). */
    public static final long RUN_ADDRESS = 0x100_0000L;
    private static final long PAGE = 4096;

    /**
     * Reads the kernel and initrd of {@code boot} and checks that they can boot in
     * {@code memoryBytes} of guest RAM laid out as {@link RamLayout#of} does.
     *
     * @param boot what to boot
     * @param memoryBytes guest RAM
     * @return the checked image
     * @throws IOException if a file cannot be read
     * @throws IllegalArgumentException in one line: a missing file, not a kernel, a protocol too
     *     old, a command line too long, too little RAM for the kernel or for the initrd
     */
    public static LinuxImage read(LinuxBoot boot, long memoryBytes) throws IOException {
        byte[] kernel = readFile("kernel", boot.kernel());
        SetupHeader header = SetupHeader.parse(kernel, boot.kernel().toString());
        byte[] cmdline = boot.cmdline().getBytes(StandardCharsets.US_ASCII);
        if (!StandardCharsets.US_ASCII.newEncoder().canEncode(boot.cmdline())) {
            throw new IllegalArgumentException("kernel command line: only ASCII characters are allowed");
        }
        if (cmdline.length > header.cmdlineSize()) {
            throw new IllegalArgumentException("kernel command line: " + cmdline.length + " bytes, this kernel takes at most "
                    + header.cmdlineSize());
        }
        long lowEnd = Math.min(memoryBytes, RamLayout.HOLE_START);
        long kernelEnd = Math.max(LOAD_ADDRESS + kernel.length - header.kernelOffset(), RUN_ADDRESS + header.initSize());
        if (kernelEnd > lowEnd) {
            throw new IllegalArgumentException(String.format("%s: needs %d MiB of guest RAM to unpack itself, the guest has %d MiB",
                    boot.kernel(), mib(kernelEnd), mib(memoryBytes)));
        }
        if (boot.initrd().isEmpty()) {
            return new LinuxImage(header, kernel, new byte[0], cmdline, 0);
        }
        Path initrdPath = boot.initrd().get();
        byte[] initrd = readFile("initrd", initrdPath);
        // As high as the kernel allows (QEMU and GRUB place it so), clear of the unpacked kernel.
        long top = Math.min(header.initrdAddrMax() + 1, lowEnd) & -PAGE;
        long address = (top - initrd.length) & -PAGE;
        if (initrd.length > top || address < kernelEnd) {
            throw new IllegalArgumentException(String.format("initrd %s: %d MiB do not fit in the guest's %d MiB of RAM beside "
                    + "the kernel (the kernel takes the first %d MiB, the initrd must end below %d MiB)", initrdPath,
                    mib(initrd.length), mib(memoryBytes), mib(kernelEnd), mib(top)));
        }
        return new LinuxImage(header, kernel, initrd, cmdline, address);
    }

    private static byte[] readFile(String what, Path path) throws IOException {
        if (!Files.exists(path)) {
            throw new IllegalArgumentException(what + " " + path + ": no such file");
        }
        if (!Files.isRegularFile(path)) {
            throw new IllegalArgumentException(what + " " + path + ": not a regular file");
        }
        return Files.readAllBytes(path);
    }

    private static long mib(long bytes) {
        return (bytes + (1 << 20) - 1) >> 20;
    }
}
