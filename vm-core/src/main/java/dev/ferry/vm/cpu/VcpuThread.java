package dev.ferry.vm.cpu;

import dev.ferry.kvm.Vcpu;
import dev.ferry.kvm.VcpuExit;
import dev.ferry.vm.bus.Bus;
import java.lang.foreign.MemorySegment;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One vCPU's thread: the KVM_RUN loop, which hands port and MMIO exits to the buses and stops
 * at the {@link RunGate} between exits. An exit is always handled completely (and, when the gate
 * is held, completed inside KVM) before the thread parks.
 */
public final class VcpuThread {

    private static final Logger LOG = LoggerFactory.getLogger(VcpuThread.class);
    private static final long RFLAGS_IF = 1L << 9;

    private final Vcpu vcpu;
    private final Bus pio;
    private final Bus mmio;
    private final RunGate gate;
    private final Consumer<VcpuStop> onStop;
    private final Runnable kick;
    private final Thread thread;
    private volatile boolean halted;
    /** The exit this thread is handling, null while it is in KVM_RUN or at the gate: for a slow pause's log. */
    private volatile VcpuExit handling;
    private volatile long handlingSince;

    /**
     * @param halted true for a vCPU that waits to be woken (an application processor without an
     *     in-kernel irqchip, or one restored in that state): its thread never enters the guest
     * @param onStop told, on this vCPU's thread, when the guest ends the machine or crashes
     */
    public VcpuThread(Vcpu vcpu, Bus pio, Bus mmio, RunGate gate, boolean halted, Consumer<VcpuStop> onStop) {
        this.vcpu = vcpu;
        this.pio = pio;
        this.mmio = mmio;
        this.gate = gate;
        this.halted = halted;
        this.onStop = onStop;
        this.kick = vcpu::kick;
        // A daemon: a machine built and never started or closed does not keep the JVM alive.
        this.thread = Thread.ofPlatform().name("ferry-vcpu-" + vcpu.id()).daemon().unstarted(this::loop);
    }

    public Vcpu vcpu() {
        return vcpu;
    }

    /** True while the vCPU waits for a wake-up that only an interrupt could bring. */
    public boolean halted() {
        return halted;
    }

    /**
     * What the thread is doing now, for a log: taken at a pause's kick, inside a migration's
     * downtime, so nothing is put into words until the log asks (formatting the exit record cold
     * took 8–60 ms there).
     *
     * @return the snapshot
     */
    public Activity activity() {
        return new Activity(vcpu.id(), handling, handlingSince, System.nanoTime());
    }

    /**
     * A vCPU thread's activity at one instant.
     *
     * @param vcpu the vCPU's id
     * @param exit the exit it was handling, or null while in KVM_RUN or at the gate
     * @param since when it began handling {@code exit} ({@link System#nanoTime()})
     * @param at when the snapshot was taken
     */
    public record Activity(int vcpu, VcpuExit exit, long since, long at) {
        /** In words: which exit it had been handling and for how long, or that it was in KVM_RUN or at the gate. */
        @Override
        public String toString() {
            return exit == null ? "vCPU " + vcpu + " in KVM_RUN or at the gate"
                    : "vCPU " + vcpu + " handling " + exit + " for " + (at - since) / 1_000_000 + " ms";
        }
    }

    /**
     * Sets whether the vCPU waits halted, as a restored snapshot says; only while the gate holds
     * the thread before its machine's start (it reads this once past the gate).
     */
    public void restoreHalted(boolean restored) {
        halted = restored;
    }

    /** Starts the thread; it takes part in the gate from now on. */
    public void start() {
        gate.join(kick);
        thread.start();
    }

    /** Waits for the thread to end (after the gate closed). */
    public void join() throws InterruptedException {
        if (thread.isAlive() && thread != Thread.currentThread()) {
            thread.join();
        }
    }

    private void loop() {
        try {
            Next next = Next.RUN;
            while (next != Next.STOPPED) {
                RunGate.Pass pass = gate.checkpoint(next == Next.COMPLETE);
                if (pass == RunGate.Pass.STOP) {
                    return;
                }
                if (pass == RunGate.Pass.COMPLETE_EXIT) {
                    vcpu.kick();
                } else if (halted) {
                    gate.idle();
                    return;
                }
                VcpuExit exit = vcpu.run();
                handlingSince = System.nanoTime();
                handling = exit;
                next = handle(exit);
                handling = null;
            }
        } catch (RuntimeException e) {
            LOG.error("vCPU {} failed", vcpu.id(), e);
            onStop.accept(VcpuStop.failure("vCPU " + vcpu.id() + ": " + e.getMessage()));
        } finally {
            gate.leave(kick);
        }
    }

    /** What the loop does after an exit. */
    private enum Next {
        /** Run on. */
        RUN,
        /** Run on; KVM completes the exit (advances past the I/O instruction) on the next entry. */
        COMPLETE,
        /** The machine is stopping: leave the loop. */
        STOPPED
    }

    private Next handle(VcpuExit exit) {
        switch (exit) {
            case VcpuExit.IoOut out -> {
                each(out.data(), out.size(), out.count(), chunk -> pio.write(out.port(), chunk));
                return Next.COMPLETE;
            }
            case VcpuExit.IoIn in -> {
                each(in.data(), in.size(), in.count(), chunk -> pio.read(in.port(), chunk));
                return Next.COMPLETE;
            }
            case VcpuExit.MmioWrite write -> {
                mmio.write(write.address(), write.data());
                return Next.COMPLETE;
            }
            case VcpuExit.MmioRead read -> {
                mmio.read(read.address(), read.data());
                return Next.COMPLETE;
            }
            case VcpuExit.Interrupted ignored -> {
                return Next.RUN;
            }
            case VcpuExit.Hlt ignored -> {
                return halt();
            }
            case VcpuExit.Shutdown ignored -> {
                // KVM resets the vCPU on a shutdown (AMD: the VMCB is undefined after it), so its
                // registers now say nothing about the fault: none are read.
                return stop(VcpuStop.failure("vCPU " + vcpu.id() + ": triple fault (KVM_EXIT_SHUTDOWN)"));
            }
            case VcpuExit.SystemEvent event -> {
                return stop(event.type() == 1
                        ? VcpuStop.shutdown("vCPU " + vcpu.id() + ": the guest powered off")
                        : VcpuStop.failure("vCPU " + vcpu.id() + ": system event " + event.type() + " " + event.data()));
            }
            case VcpuExit.InternalError error -> {
                // No reset happens here: rip is the instruction KVM gave up on.
                return stop(VcpuStop.failure("vCPU " + vcpu.id() + ": KVM internal error (KVM_EXIT_INTERNAL_ERROR): "
                        + error.meaning() + ", suberror " + error.suberror() + " data " + hex(error) + " at rip " + rip()));
            }
            case VcpuExit.FailEntry fail -> {
                return stop(VcpuStop.failure("vCPU " + vcpu.id() + ": KVM could not enter the guest, reason 0x"
                        + Long.toHexString(fail.reason())));
            }
            case VcpuExit.Unknown unknown -> {
                return stop(VcpuStop.failure("vCPU " + vcpu.id() + ": unhandled exit reason " + unknown.reason()
                        + " (hardware reason 0x" + Long.toHexString(unknown.hardwareReason()) + ")"));
            }
        }
    }

    /** HLT reaches the VMM only without an in-kernel irqchip; with interrupts off it ends the guest. */
    private Next halt() {
        if ((vcpu.getRegs().rflags() & RFLAGS_IF) == 0) {
            return stop(VcpuStop.shutdown("vCPU " + vcpu.id() + " halted with interrupts disabled at rip " + rip()));
        }
        halted = true;
        return Next.RUN;
    }

    private Next stop(VcpuStop stop) {
        LOG.info("{}", stop.reason());
        onStop.accept(stop);
        return Next.STOPPED;
    }

    private String rip() {
        try {
            return "0x" + Long.toHexString(vcpu.getRegs().rip());
        } catch (RuntimeException e) {
            return "unknown (" + e.getMessage() + ")";
        }
    }

    private static String hex(VcpuExit.InternalError error) {
        return error.data().stream().map(w -> "0x" + Long.toHexString(w)).toList().toString();
    }

    private interface Access {
        void accept(MemorySegment chunk);
    }

    /** Port I/O of {@code count} elements (rep ins/outs) goes to the device one element at a time. */
    private static void each(MemorySegment data, int size, int count, Access access) {
        if (count == 1) {
            access.accept(data);
            return;
        }
        for (int i = 0; i < count; i++) {
            access.accept(data.asSlice((long) i * size, size));
        }
    }
}
