package dev.ferry.vm;

import dev.ferry.vm.state.CpuSnapshot;
import dev.ferry.vm.state.MachineSnapshot;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What a guest that went silent is doing: a few samples, a second apart, of each vCPU's RIP,
 * interrupt flag, MP state and local APIC timer and interrupt registers, plus the IOAPIC's
 * redirection entries of the timer and UART pins. A test prints them when a boot times out, so a
 * hang in the nested VM leaves evidence (a RIP to look up in the kernel's System.map). {@link
 * #wedged} tells a guest spinning inside an interrupt handler with interrupts off from one that is
 * merely slow.
 */
final class GuestHangProbe {

    private static final int LAPIC_TPR = 0x80;
    private static final int LAPIC_SVR = 0xf0;
    private static final int LAPIC_ISR = 0x100;
    private static final int LAPIC_IRR = 0x200;
    private static final int LAPIC_LVTT = 0x320;
    private static final int LAPIC_TMICT = 0x380;
    private static final int LAPIC_TMCCT = 0x390;
    private static final int LAPIC_TDCR = 0x3e0;
    /** struct kvm_irqchip: chip id and pad, then struct kvm_ioapic_state with its redirection table at 24. */
    private static final int IOAPIC_REDIRECTIONS = 8 + 24;
    private static final int[] IOAPIC_PINS = {0, 2, 4};

    private GuestHangProbe() {
    }

    /** {@code samples} samples of a running {@code machine}, a second apart; it runs on between them. */
    static String sample(Machine machine, int samples) throws InterruptedException {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < samples && machine.state() == RunState.RUNNING; i++) {
            MachineSnapshot snapshot = snapshotOf(machine);
            snapshot.cpus().forEach(cpu -> lines.add(cpu(cpu)));
            if (snapshot.kvm().irqchips().size() == 3) {
                lines.add(ioapic(snapshot.kvm().irqchips().get(2)));
            }
            Thread.sleep(1000);
        }
        return String.join("\n", lines);
    }

    /**
     * Whether some vCPU of a running {@code machine} is wedged: at the same RIP, with interrupts off
     * and an interrupt in service, in two samples {@code apart} from each other. A guest that is only
     * slow moves in between; one spinning on a lock its own interrupted context holds never does.
     *
     * @return that vCPU's two samples, or empty when every vCPU moved, enabled interrupts or halted
     */
    static Optional<String> wedged(Machine machine, Duration apart) throws InterruptedException {
        if (machine.state() != RunState.RUNNING) {
            return Optional.empty();
        }
        List<CpuSnapshot> before = snapshotOf(machine).cpus();
        Thread.sleep(apart.toMillis());
        if (machine.state() != RunState.RUNNING) {
            return Optional.empty();
        }
        List<CpuSnapshot> after = snapshotOf(machine).cpus();
        for (int i = 0; i < Math.min(before.size(), after.size()); i++) {
            CpuSnapshot a = before.get(i);
            CpuSnapshot b = after.get(i);
            if (a.regs().rip() == b.regs().rip() && spinsInHandler(a) && spinsInHandler(b)) {
                return Optional.of(cpu(a) + "\n" + cpu(b));
            }
        }
        return Optional.empty();
    }

    private static boolean spinsInHandler(CpuSnapshot cpu) {
        boolean interruptsOff = (cpu.regs().rflags() & (1 << 9)) == 0;
        boolean inService = cpu.lapic()
                .map(page -> !vectors(ByteBuffer.wrap(page).order(ByteOrder.LITTLE_ENDIAN), LAPIC_ISR).isEmpty())
                .orElse(false);
        return interruptsOff && inService;
    }

    private static MachineSnapshot snapshotOf(Machine machine) {
        machine.pause();
        try {
            return machine.snapshot();
        } finally {
            machine.resume();
        }
    }

    /**
     * Sends a running {@code machine} an NMI and gives its guest {@code wait} to print: Linux booted
     * with {@code unknown_nmi_panic} panics with the stack of what it was doing.
     */
    static void nmi(Machine machine, Duration wait) throws InterruptedException {
        if (machine.state() != RunState.RUNNING) {
            return;
        }
        machine.pause();
        try {
            machine.injectNmi();
        } finally {
            machine.resume();
        }
        Thread.sleep(wait.toMillis());
    }

    private static String cpu(CpuSnapshot cpu) {
        StringBuilder s = new StringBuilder(String.format("vCPU %d rip=%016x rsp=%016x IF=%d mp=%s", cpu.id(),
                cpu.regs().rip(), cpu.regs().rsp(), (cpu.regs().rflags() >> 9) & 1, cpu.mpState().orElse(null)));
        cpu.lapic().ifPresent(page -> {
            ByteBuffer b = ByteBuffer.wrap(page).order(ByteOrder.LITTLE_ENDIAN);
            s.append(String.format(" lapic tpr=%x svr=%x lvtt=%08x tmict=%x tmcct=%x tdcr=%x isr=%s irr=%s",
                    b.getInt(LAPIC_TPR), b.getInt(LAPIC_SVR), b.getInt(LAPIC_LVTT), b.getInt(LAPIC_TMICT),
                    b.getInt(LAPIC_TMCCT), b.getInt(LAPIC_TDCR), vectors(b, LAPIC_ISR), vectors(b, LAPIC_IRR)));
        });
        cpu.msrs().forEach(msr -> {
            if (msr.index() == 0x6e0 || msr.index() == 0x10) {
                s.append(String.format(" msr%x=%x", msr.index(), msr.value()));
            }
        });
        return s.toString();
    }

    /** The vectors set in the 256-bit register at {@code offset} (eight 32-bit words 16 bytes apart). */
    private static List<Integer> vectors(ByteBuffer page, int offset) {
        List<Integer> set = new ArrayList<>();
        for (int word = 0; word < 8; word++) {
            int bits = page.getInt(offset + word * 16);
            for (int bit = 0; bit < 32; bit++) {
                if ((bits & (1 << bit)) != 0) {
                    set.add(word * 32 + bit);
                }
            }
        }
        return set;
    }

    private static String ioapic(byte[] chip) {
        ByteBuffer b = ByteBuffer.wrap(chip).order(ByteOrder.LITTLE_ENDIAN);
        StringBuilder s = new StringBuilder(String.format("ioapic irr=%x", b.getInt(8 + 16)));
        for (int pin : IOAPIC_PINS) {
            s.append(String.format(" pin%d=%016x", pin, b.getLong(IOAPIC_REDIRECTIONS + pin * 8)));
        }
        return s.toString();
    }
}
