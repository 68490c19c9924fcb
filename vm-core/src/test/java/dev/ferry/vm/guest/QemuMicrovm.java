package dev.ferry.vm.guest;

import dev.ferry.vm.memory.GuestRam;
import dev.ferry.vm.memory.RamRegion;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Ferry's built-in guest under qemu-system-x86_64 with software emulation (TCG), for hosts without
 * usable KVM. The machine is QEMU's microvm: a 16550 UART at 0x3f8, virtio-mmio transports from
 * {@link #VIRTIO_MMIO_0}, no legacy devices. Guest RAM is a file QEMU maps shared, so the test
 * writes the image and config block before start and posts commands, reads the status block and
 * corrupts pages while QEMU runs, all through an ordinary mapping. The boot shim (src/test/guest)
 * is the firmware: it enters the guest in long mode as Ferry's VMM would.
 */
final class QemuMicrovm implements AutoCloseable {

    static final Path QEMU = Path.of("/usr/bin/qemu-system-x86_64");
    /** Transport 0 (bus virtio-mmio-bus.0) of microvm; transport n is n * 0x200 above it. */
    static final long VIRTIO_MMIO_0 = 0xfeb00000L;
    private static final String SHIM = "boot-shim.bin";
    private static final String EOF = "";

    private final Process process;
    private final Path stderr;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final StringBuilder transcript = new StringBuilder();

    private QemuMicrovm(Process process, Path stderr) {
        this.process = process;
        this.stderr = stderr;
        Thread.ofPlatform().daemon().name("qemu-uart").start(() -> pump(process.getInputStream()));
    }

    /** Skips the calling test, saying why, when QEMU's x86 system emulator is not installed. */
    static void assumeAvailable() {
        Assumptions.assumeTrue(Files.isExecutable(QEMU),
                "needs " + QEMU + " (Debian package qemu-system-x86) to run the guest under TCG");
    }

    /**
     * The host's TSC rate in kHz. Under TCG the guest's TSC counts at the host's rate; Linux
     * reports it as "cpu MHz" on hosts with a constant TSC (and in VMs). The guest uses it only to
     * pace its rates and progress lines, so an estimate is enough: 2 GHz if none is found.
     */
    static long tscKhz() throws IOException {
        Optional<String> mhz = Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                .filter(l -> l.startsWith("cpu MHz")).findFirst();
        return mhz.map(l -> Math.round(Double.parseDouble(l.substring(l.indexOf(':') + 1).trim()) * 1000))
                .orElse(2_000_000L);
    }

    /**
     * Ferry's guest RAM over {@code file}, created or grown to {@code size} and mapped shared: the
     * RAM {@link #start} hands QEMU, so both processes see the same bytes at the same offsets.
     */
    static GuestRam mapRam(Path file, long size) throws IOException {
        Arena arena = Arena.ofShared();
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            MemorySegment ram = channel.map(FileChannel.MapMode.READ_WRITE, 0, size, arena);
            return new GuestRam(List.of(new RamRegion(0, 0, ram)), arena::close);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /**
     * Starts one vCPU on {@code ramFile} (guest physical address 0 at file offset 0, already
     * holding the guest image and config block), with the raw {@code disk} as a virtio-blk device
     * on transport 0 whose id is {@code serial}.
     */
    static QemuMicrovm start(Path dir, Path ramFile, long ramSize, Path disk, String serial) throws IOException {
        Path shim = dir.resolve(SHIM);
        try (InputStream in = QemuMicrovm.class.getResourceAsStream(SHIM)) {
            if (in == null) {
                throw new IllegalStateException(SHIM + " missing from the test class path: the vm-core build makes it from src/test/guest");
            }
            Files.copy(in, shim);
        }
        Path stderr = dir.resolve("qemu.stderr");
        List<String> command = List.of(QEMU.toString(),
                "-machine", "microvm,accel=tcg,pit=off,pic=off,rtc=off,isa-serial=on,x-option-roms=off,"
                        + "auto-kernel-cmdline=off,memory-backend=ram",
                "-object", "memory-backend-file,id=ram,size=" + ramSize + ",mem-path=" + ramFile + ",share=on",
                "-m", ramSize / (1 << 20) + "M", "-smp", "1",
                "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
                "-bios", shim.toString(),
                "-serial", "stdio",
                // microvm's transports default to the legacy (version 1) layout; the guest drives virtio 1.x
                "-global", "virtio-mmio.force-legacy=false",
                "-drive", "file=" + disk + ",format=raw,if=none,id=disk0",
                "-device", "virtio-blk-device,drive=disk0,serial=" + serial + ",bus=virtio-mmio-bus.0");
        Process process = new ProcessBuilder(command).redirectError(stderr.toFile()).start();
        return new QemuMicrovm(process, stderr);
    }

    /** Queues each UART line; an empty string marks the end of QEMU's output. */
    private void pump(InputStream uart) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(uart, StandardCharsets.US_ASCII))) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                lines.add(line);
            }
        } catch (IOException e) {
            lines.add("(uart read failed: " + e + ")");
        } finally {
            lines.add(EOF);
        }
    }

    /**
     * The next line the guest printed, waiting up to {@code timeout}.
     *
     * @throws AssertionError with everything printed so far and QEMU's stderr, if none comes
     */
    String nextLine(Duration timeout) throws InterruptedException {
        String line = lines.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (line == null || line.equals(EOF)) {
            if (line != null) {
                lines.add(EOF);
            }
            throw new AssertionError((line == null ? "no UART line within " + timeout : "QEMU exited") + "\n" + describe());
        }
        synchronized (transcript) {
            transcript.append(line).append('\n');
        }
        return line;
    }

    /** What the guest printed so far and what QEMU said on stderr, for failure messages. */
    String describe() {
        String err;
        try {
            err = Files.readString(stderr);
        } catch (IOException e) {
            err = "(unreadable: " + e + ")";
        }
        synchronized (transcript) {
            return "UART:\n" + transcript + "QEMU stderr:\n" + err;
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
    }
}
