package dev.ferry.vm.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every check a kernel, initrd and command line pass before a VM is built, on Debian's real bzImage. */
class LinuxImageTest {

    private static final long RAM = 256L << 20;

    @TempDir
    Path dir;
    private TestLinuxGuest guest;

    @BeforeEach
    void guest() throws IOException, InterruptedException {
        guest = TestLinuxGuest.require();
    }

    @Test
    void debiansKernelIsReadAndTheInitrdGoesHighBesideIt() throws IOException {
        LinuxImage image = LinuxImage.read(new LinuxBoot(guest.kernel(), Optional.of(guest.initrd()), "console=ttyS0"), RAM);
        SetupHeader h = image.header();
        assertTrue(h.version() >= SetupHeader.MIN_VERSION, "protocol 0x" + Integer.toHexString(h.version()));
        assertEquals(Files.size(guest.kernel()), image.kernel().length);
        assertEquals(0, image.initrdAddress() % 4096);
        long end = image.initrdAddress() + image.initrd().length;
        assertTrue(end <= RAM && end <= h.initrdAddrMax() + 1 && RAM - end < 4096, "initrd ends at the top of RAM: " + end);
        assertTrue(image.initrdAddress() >= LinuxImage.RUN_ADDRESS + h.initSize(), "clear of the unpacked kernel");
    }

    @Test
    void aMissingFileIsNamed() {
        var kernel = failure(new LinuxBoot(dir.resolve("vmlinuz"), Optional.empty(), ""));
        assertEquals("kernel " + dir.resolve("vmlinuz") + ": no such file", kernel);
        var initrd = failure(new LinuxBoot(guest.kernel(), Optional.of(dir.resolve("initrd")), ""));
        assertEquals("initrd " + dir.resolve("initrd") + ": no such file", initrd);
    }

    @Test
    void somethingElseIsNotAKernel() throws IOException {
        Path text = Files.writeString(dir.resolve("notes.txt"), "not a kernel\n".repeat(100));
        assertEquals(text + ": not a Linux kernel (no bzImage setup header 'HdrS')",
                failure(new LinuxBoot(text, Optional.empty(), "")));
        Path tiny = Files.write(dir.resolve("tiny"), new byte[16]);
        assertTrue(failure(new LinuxBoot(tiny, Optional.empty(), "")).contains("not a Linux kernel"));
    }

    @Test
    void aProtocolOlderThan212IsRefused() throws IOException {
        Path old = patched("old", 0x206, (short) 0x20b);
        assertEquals(old + ": boot protocol 2.11 is too old: Ferry enters kernels through the 64-bit entry of protocol "
                + "2.12 or later", failure(new LinuxBoot(old, Optional.empty(), "")));
    }

    @Test
    void aKernelWithout64BitEntryIsRefused() throws IOException {
        Path k32 = patched("k32", 0x236, (short) 0);
        assertTrue(failure(new LinuxBoot(k32, Optional.empty(), "")).contains("no 64-bit entry point"));
    }

    @Test
    void aCommandLineLongerThanTheKernelTakesIsRefused() throws IOException {
        long max = LinuxImage.read(new LinuxBoot(guest.kernel(), Optional.empty(), ""), RAM).header().cmdlineSize();
        LinuxImage.read(new LinuxBoot(guest.kernel(), Optional.empty(), "a".repeat((int) max)), RAM);
        assertEquals("kernel command line: " + (max + 1) + " bytes, this kernel takes at most " + max,
                failure(new LinuxBoot(guest.kernel(), Optional.empty(), "a".repeat((int) max + 1))));
        assertTrue(failure(new LinuxBoot(guest.kernel(), Optional.empty(), "console=ttyS0 é")).contains("ASCII"));
    }

    @Test
    void anInitrdLargerThanRamIsRefused() throws IOException {
        Path big = dir.resolve("big.img");
        try (var file = java.nio.channels.FileChannel.open(big, java.nio.file.StandardOpenOption.CREATE_NEW,
                java.nio.file.StandardOpenOption.WRITE)) {
            file.write(ByteBuffer.wrap(new byte[1]), RAM); // sparse: RAM + 1 bytes
        }
        String message = failure(new LinuxBoot(guest.kernel(), Optional.of(big), ""));
        assertTrue(message.startsWith("initrd " + big + ": 257 MiB do not fit in the guest's 256 MiB of RAM"), message);
    }

    @Test
    void tooLittleRamForTheKernelIsRefused() {
        String message = failure(new LinuxBoot(guest.kernel(), Optional.empty(), ""), 32L << 20);
        assertTrue(message.matches(".*: needs \\d+ MiB of guest RAM to unpack itself, the guest has 32 MiB"), message);
    }

    private String failure(LinuxBoot boot) {
        return failure(boot, RAM);
    }

    private static String failure(LinuxBoot boot, long ram) {
        return assertThrows(IllegalArgumentException.class, () -> LinuxImage.read(boot, ram)).getMessage();
    }

    /** A copy of the real kernel with a 16-bit header field changed. */
    private Path patched(String name, int offset, short value) throws IOException {
        byte[] kernel = Files.readAllBytes(guest.kernel());
        ByteBuffer.wrap(kernel).order(ByteOrder.LITTLE_ENDIAN).putShort(offset, value);
        return Files.write(dir.resolve(name), kernel);
    }
}
