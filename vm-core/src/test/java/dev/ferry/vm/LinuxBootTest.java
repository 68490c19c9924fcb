package dev.ferry.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.vm.block.ImageFormat;
import dev.ferry.vm.device.serial.MemoryUartSink;
import dev.ferry.vm.device.serial.UartSink;
import dev.ferry.vm.linux.LinuxBoot;
import dev.ferry.vm.linux.TestLinuxGuest;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Debian's stock kernel boots on a Ferry machine to its /init (a busybox initramfs built from
 * Debian packages by tools/linux-guest/build) with its console on the UART, picks kvmclock, and its
 * userspace keeps running: the ticks of its sleep loop arrive and its uptime grows. With a raw disk
 * attached, the kernel finds it as virtio-mmio in the ACPI tables and its init (which loads the
 * virtio modules) writes checksummed records to /dev/vda, reads them back from the disk and
 * verifies them; the host then finds the same records in the image file.
 *
 * <p>The kernel ticks from the PIT ({@code nolapic_timer lapic=notscdeadline}; with TSC-deadline
 * mode offered Linux sets no PIT up at all, so both are needed): in the nested KVM of CI (kvm-amd
 * on QEMU's TCG SVM) a LAPIC timer interrupt was taken while the guest ran with interrupts
 * disabled, inside the previous timer interrupt, and the guest deadlocked on its own run-queue lock
 * (NMI backtrace of 2026-12-05, issue 19). Every nested boot that used the LAPIC timer hung (three,
 * in one-shot and TSC-deadline mode); the boots that ticked from the PIT reached /init.
 * {@code unknown_nmi_panic} lets {@link GuestHangProbe#nmi} make a hung guest print its stack;
 * FERRY_LINUX_APPEND adds kernel parameters for a diagnostic run. The two-vCPU boot is tagged
 * {@code linux-boot}, outside CI's stage: run it with {@code -Pkvm -Dferry.kvm.groups=linux-boot}.
 * The disk boot runs in CI's stage: in its first nested runs (2026-12-05, a two-vCPU nested VM) the
 * PIT's IRQ 0 arrived again while its handler ran with interrupts off, before the EOI, and the
 * guest deadlocked on the IRQ descriptor's lock; in the one-vCPU nested VM it completed (103 s).
 *
 * <p>The PIT only makes that defect rarer: one CI run of 2026-12-05 wedged the same way after the
 * first tick, spinning in {@code native_queued_spin_lock_slowpath} inside the PIT's interrupt
 * (vector 0x30 in service, IF=0). The defect lies in QEMU's TCG, under kvm-amd: tools/kvm-vm/run
 * now gives the nested VM one vCPU, which stopped it (its comment says why, with the counts). A
 * boot that wedges all the same ({@link GuestHangProbe#wedged}: same RIP, interrupts off, an
 * interrupt in service, seconds apart) is logged with its samples and NMI stack and booted once
 * more; a second wedge, or any other failure, fails the test.
 */
class LinuxBootTest {

    private static final Logger LOG = LoggerFactory.getLogger(LinuxBootTest.class);
    private static final int SCALE = Integer.parseInt(Optional.ofNullable(System.getenv("FERRY_TIMEOUT_SCALE")).orElse("1"));
    /** Native KVM boots in seconds; the nested VM took minutes (QEMU there: 3.5 min to init). */
    private static final Duration BOOT = Duration.ofSeconds(60L * SCALE);
    /** Console silence after which the guest is checked for a wedge (the check itself takes {@link #APART}). */
    private static final Duration QUIET = Duration.ofSeconds(20);
    private static final Duration APART = Duration.ofSeconds(3);
    private static final Pattern UPTIME = Pattern.compile("uptime=([0-9.]+)");
    /** What the guest's init writes to /dev/vda: records 0-15 first, one more per tick. */
    private static final Pattern RECORD = Pattern.compile("FERRY-REC ([0-9a-f]{64}) (record=([0-9]+) uptime=[0-9.]+)");
    private static final int RECORDS = 16;
    private static final int SECTOR = 512;

    @TempDir
    Path dir;
    private static final String CMDLINE = "console=ttyS0 panic=-1 unknown_nmi_panic nolapic_timer lapic=notscdeadline "
            + System.getenv().getOrDefault("FERRY_LINUX_APPEND", "");

    @Test
    @Tag("kvm")
    void debiansKernelReachesInitOnKvmclockAndItsUserspaceTicks() throws Exception {
        long start = System.nanoTime();
        withBootedGuest(1, List.of(), (machine, console) -> {
            String init = await(console, machine, l -> l.startsWith("FERRY-INIT-OK"), "FERRY-INIT-OK");
            LOG.info("Linux reached /init after {} ms of wall time: {}", (System.nanoTime() - start) / 1_000_000, init);
            assertTrue(console.text().contains("clocksource: Switched to clocksource kvm-clock"), console.text());
            String first = await(console, machine, l -> l.startsWith("FERRY-TICK 1 "), "FERRY-TICK 1");
            String third = await(console, machine, l -> l.startsWith("FERRY-TICK 3 "), "FERRY-TICK 3");
            double up1 = uptime(first);
            double up3 = uptime(third);
            assertTrue(up3 - up1 >= 3.5, "two more 2 s sleeps took " + (up3 - up1) + " s of guest uptime");
            assertTrue(console.text().contains("FERRY-DISK-NONE"), console.text());
            assertTrue(!console.text().contains("Kernel panic"), console.text());
        });
    }

    @Test
    @Tag("kvm")
    void withARawDiskInitFindsDevVdaWritesRecordsAndReadsThemBackVerified() throws Exception {
        Path image = dir.resolve("linux-disk.raw");
        try (RandomAccessFile file = new RandomAccessFile(image.toFile(), "rw")) {
            file.setLength(16L << 20);
        }
        DiskSpec disk = new DiskSpec(image, Optional.of(ImageFormat.RAW), false);
        withBootedGuest(1, List.of(disk), (machine, console) -> {
            // Kernel messages may share a console line with the init's output: look inside lines.
            String found = await(console, machine, l -> l.contains("FERRY-DISK-FOUND"), "FERRY-DISK-FOUND");
            assertTrue(found.contains("FERRY-DISK-FOUND /dev/vda sectors=" + (16L << 20) / SECTOR), found);
            String ok = await(console, machine, l -> l.contains("FERRY-DISK-OK") || l.contains("FERRY-DISK-BAD"),
                    "FERRY-DISK-OK");
            assertTrue(ok.contains("FERRY-DISK-OK records=" + RECORDS + " "), ok + "\nconsole:\n" + console.text());
            await(console, machine, l -> l.contains("FERRY-DISK-WROTE " + (RECORDS + 1) + " "), "the second tick's record");
            Map<Integer, String> wrote = new HashMap<>();
            Matcher said = Pattern.compile("FERRY-DISK-VERIFIED ([0-9]+) ([0-9a-f]{64})").matcher(console.text());
            while (said.find()) {
                wrote.put(Integer.parseInt(said.group(1)), said.group(2));
            }
            assertEquals(RECORDS, wrote.size(), console.text());
            machine.pause();
            byte[] bytes = Files.readAllBytes(image);
            for (int r = 0; r <= RECORDS + 1; r++) {
                String sector = new String(bytes, r * SECTOR, SECTOR, StandardCharsets.US_ASCII);
                Matcher m = RECORD.matcher(sector);
                assertTrue(m.lookingAt() && sector.endsWith("\n"), "sector " + r + " of the image: '" + sector.strip() + "'");
                assertEquals(r, Integer.parseInt(m.group(3)), "sector " + r + " holds record " + m.group(3));
                assertEquals(m.group(1), sha256(m.group(2)), "record " + r + "'s checksum");
                if (r < RECORDS) {
                    assertEquals(wrote.get(r), m.group(1), "record " + r + " as the guest verified it");
                }
            }
            assertTrue(console.text().contains("virtio_blk virtio0: [vda]"), console.text());
            machine.resume();
        });
    }

    @Test
    void moreDisksThanTheIoapicHasPinsForAreRefusedBeforeAnyVmExists() {
        List<DiskSpec> nine = java.util.stream.IntStream.range(0, 9).mapToObj(i -> DiskSpec.of(dir.resolve("d" + i))).toList();
        MachineSpec spec = new MachineSpec(256L << 20, 1, nine, GuestWorkload.defaults(), true);
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Machine.bootLinux(spec, new LinuxBoot(dir.resolve("no-kernel"), Optional.empty(), ""), b -> { }));
        assertEquals("a Linux guest takes at most 8 disks, not 9", e.getMessage());
    }

    @Test
    @Tag("linux-boot")
    void withTwoVcpusTheApplicationProcessorStartsAndInitRuns() throws Exception {
        withBootedGuest(2, List.of(), (machine, console) -> {
            await(console, machine, l -> l.contains("smp: Brought up 1 node, 2 CPUs"), "both CPUs up");
            await(console, machine, l -> l.startsWith("FERRY-INIT-OK"), "FERRY-INIT-OK");
        });
    }

    /** What a test checks while its Linux guest runs. */
    private interface GuestCheck {
        void check(Machine machine, MemoryUartSink console) throws Exception;
    }

    /**
     * Boots the test guest on {@code vcpus} vCPUs with {@code disks}, runs {@code check} and asserts
     * the machine still runs; the console also goes to target/linux-console.log, to watch a slow
     * nested boot. A boot that wedges (see the class comment) is tried once more.
     */
    private static void withBootedGuest(int vcpus, List<DiskSpec> disks, GuestCheck check) throws Exception {
        KvmHost.assumeLinuxKvm();
        TestLinuxGuest guest = TestLinuxGuest.require();
        try {
            boot(guest, vcpus, disks, check, Path.of("target", "linux-console.log"));
        } catch (GuestWedged first) {
            LOG.warn("the Linux guest wedged with interrupts off inside an interrupt handler; booting it once more:\n{}",
                    first.getMessage());
            try {
                boot(guest, vcpus, disks, check, Path.of("target", "linux-console-2.log"));
            } catch (GuestWedged second) {
                throw new AssertionError("the Linux guest wedged in two boots in a row", second);
            }
        }
    }

    private static void boot(TestLinuxGuest guest, int vcpus, List<DiskSpec> disks, GuestCheck check, Path consoleLog)
            throws Exception {
        MemoryUartSink console = new MemoryUartSink();
        MachineSpec spec = new MachineSpec(256L << 20, vcpus, disks, GuestWorkload.defaults(), true);
        try (OutputStream log = Files.newOutputStream(consoleLog);
             Machine machine = Machine.bootLinux(spec, new LinuxBoot(guest.kernel(), Optional.of(guest.initrd()),
                     CMDLINE), teeTo(console, UartSink.lines(log)))) {
            machine.start();
            check.check(machine, console);
            assertEquals(RunState.RUNNING, machine.state(), machine.stateReason());
        }
    }

    private static UartSink teeTo(MemoryUartSink console, UartSink file) {
        return b -> {
            console.accept(b);
            file.accept(b);
        };
    }

    /**
     * The first console line that matches; fails at the timeout or as soon as the machine ended, and
     * throws {@link GuestWedged} when the console went quiet because the guest wedged.
     */
    private static String await(MemoryUartSink console, Machine machine, Predicate<String> match, String what)
            throws InterruptedException, GuestWedged {
        long deadline = System.nanoTime() + BOOT.toNanos();
        int printed = console.text().length();
        long lastOutput = System.nanoTime();
        while (System.nanoTime() < deadline && !machine.state().isFinal()) {
            Optional<String> line = console.awaitLine(match, Duration.ofSeconds(2));
            if (line.isPresent()) {
                return line.get();
            }
            int now = console.text().length();
            if (now != printed) {
                printed = now;
                lastOutput = System.nanoTime();
            } else if (System.nanoTime() - lastOutput > QUIET.toNanos()) {
                Optional<String> wedge = GuestHangProbe.wedged(machine, APART);
                if (wedge.isPresent()) {
                    GuestHangProbe.nmi(machine, Duration.ofSeconds(10L * SCALE));
                    throw new GuestWedged("waiting for '" + what + "':\n" + wedge.get() + "\nconsole:\n" + console.text());
                }
                lastOutput = System.nanoTime();
            }
        }
        String probe = GuestHangProbe.sample(machine, 5);
        GuestHangProbe.nmi(machine, Duration.ofSeconds(10L * SCALE));
        LOG.error("no console line '{}': the guest now\n{}", what, probe);
        throw new AssertionError("no console line '" + what + "' within " + BOOT + "; machine " + machine.state()
                + " (" + machine.stateReason() + "); guest state:\n" + probe + "\nconsole:\n" + console.text());
    }

    /** The guest spins inside an interrupt handler with interrupts off: the nested platform's defect. */
    private static final class GuestWedged extends Exception {
        GuestWedged(String message) {
            super(message);
        }
    }

    private static String sha256(String payload) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(payload.getBytes(StandardCharsets.US_ASCII)));
    }

    private static double uptime(String line) {
        Matcher m = UPTIME.matcher(line);
        assertTrue(m.find(), line);
        return Double.parseDouble(m.group(1));
    }
}
