package dev.ferry.vm;

import dev.ferry.kvm.Capability;
import dev.ferry.kvm.CpuidEntry;
import dev.ferry.kvm.GuestCpuid;
import dev.ferry.kvm.Kvm;
import dev.ferry.kvm.KvmImplementation;
import dev.ferry.kvm.Regs;
import dev.ferry.kvm.Sregs;
import dev.ferry.kvm.Vcpu;
import dev.ferry.kvm.Vm;
import dev.ferry.savevm.ConfigCheck;
import dev.ferry.savevm.IncomingMigration;
import dev.ferry.savevm.IncomingStats;
import dev.ferry.savevm.MigrationChannel;
import dev.ferry.savevm.MigrationDriver;
import dev.ferry.savevm.MigrationException;
import dev.ferry.savevm.MigrationOptions;
import dev.ferry.savevm.Pausable;
import dev.ferry.savevm.Phase;
import dev.ferry.savevm.SectionId;
import dev.ferry.savevm.SectionRegistry;
import dev.ferry.vm.block.BlockDevice;
import dev.ferry.vm.bus.InterruptLine;
import dev.ferry.vm.cpu.RunGate;
import dev.ferry.vm.cpu.VcpuStop;
import dev.ferry.vm.cpu.VcpuThread;
import dev.ferry.vm.cpu.VcpuThrottle;
import dev.ferry.vm.device.GuestReport;
import dev.ferry.vm.device.rtc.CmosRtc;
import dev.ferry.vm.device.serial.UartSink;
import dev.ferry.vm.device.acpi.AcpiPmRegisters;
import dev.ferry.vm.device.state.AcpiPmState;
import dev.ferry.vm.device.state.CmosState;
import dev.ferry.vm.device.state.UartState;
import dev.ferry.vm.device.state.VirtioMmioState;
import dev.ferry.vm.guest.GuestCommand;
import dev.ferry.vm.guest.GuestConfig;
import dev.ferry.vm.guest.GuestImage;
import dev.ferry.vm.guest.GuestStatus;
import dev.ferry.vm.linux.LinuxBoot;
import dev.ferry.vm.linux.LinuxImage;
import dev.ferry.vm.linux.LinuxLoader;
import dev.ferry.vm.memory.GuestRam;
import dev.ferry.vm.memory.KvmRamSlots;
import dev.ferry.vm.memory.RamLayout;
import dev.ferry.vm.migration.RamSection;
import dev.ferry.vm.migration.RecordSection;
import dev.ferry.vm.state.CpuSnapshot;
import dev.ferry.vm.state.DiskConfig;
import dev.ferry.vm.state.KvmVmSnapshot;
import dev.ferry.vm.state.MachineConfig;
import dev.ferry.vm.state.MachineSnapshot;
import dev.ferry.vm.state.CpuModel;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;
import java.util.stream.IntStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A VM running Ferry's built-in guest on KVM: guest RAM, vCPU threads, the port-I/O and MMIO
 * buses with the UART, the exit device and a virtio-blk per disk, and the migration sections of
 * all of it. Made with {@link #boot} (guest loaded, ready to {@link #start}) or {@link #incoming}
 * (empty, waiting for its state from {@link #receive} or {@link #restore}).
 *
 * <p>Lifecycle: {@link RunState#CREATED} → {@link RunState#RUNNING} ↔ {@link RunState#PAUSED} →
 * {@link RunState#SHUTDOWN} or {@link RunState#FAILED}. The guest ends it by asking to stop
 * (exit device), halting with interrupts off, or crashing; {@link #shutdown} ends it from outside.
 */
public final class Machine implements Pausable, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Machine.class);
    /** A pause whose vCPUs take longer than this to stop says in the log what they were doing. */
    private static final long SLOW_STOP_NANOS = 50_000_000;
    /** Three pages KVM needs for its real-mode TSS on Intel: in the device hole, never RAM. */
    private static final long TSS_ADDRESS = 0xfffb_d000L;
    /** The page KVM needs on Intel for unpaged protected mode, just below the TSS (as QEMU places it). */
    private static final long IDENTITY_MAP_ADDRESS = TSS_ADDRESS - 0x1000;
    private static final long CR0_MP = 1L << 1;
    private static final long CR4_OSFXSR = 1L << 9;
    private static final long CR4_OSXMMEXCPT = 1L << 10;
    private static final long COMMAND_SEQ = 0x64;

    private final MachineSpec spec;
    private final Kvm kvm;
    private final Vm vm;
    private final boolean irqchip;
    /** A PC for a Linux guest (PIT, CMOS clock, MP table) rather than the built-in guest's machine. */
    private final boolean pc;
    private final GuestRam ram;
    private final KvmRamSlots slots;
    private final MachineDevices devices;
    private final GuestImage image = GuestImage.builtIn();
    private final List<Vcpu> vcpus = new ArrayList<>();
    private final RunGate gate = RunGate.heldForStart();
    private final VcpuThrottle throttle = new VcpuThrottle(gate);
    private final RamSection ramSection;
    private final SectionRegistry sections = new SectionRegistry();
    private final List<VcpuThread> threads = new ArrayList<>();
    private final List<MachineListener> listeners = new CopyOnWriteArrayList<>();
    /** Serializes start, pause, resume and shutdown; vCPU threads never take it. */
    private final ReentrantLock control = new ReentrantLock();
    /** Guards state and reason; held only briefly, also by vCPU threads. */
    private final Object lifecycle = new Object();
    private RunState state = RunState.CREATED;
    private String reason = "created";
    private volatile GuestReport lastReport;
    /** Read once while no vCPU runs: vCPU ioctls wait for KVM_RUN to return. */
    private volatile CpuModel cpu;

    /**
     * @param pc also the PC parts a Linux guest needs: the in-kernel irqchip (required), PIT and
     *     Intel's identity-map page, and CPUID saying it runs under a hypervisor
     */
    private Machine(MachineSpec spec, UartSink console, DiskOpener disks, boolean pc) throws IOException {
        this.spec = spec;
        this.pc = pc;
        if (pc) {
            // Before /dev/kvm is opened: nothing is created for a machine this host cannot run.
            KvmImplementation.host().linuxProblem().ifPresent(problem -> {
                throw new IllegalStateException(problem);
            });
        }
        Kvm openedKvm = Kvm.open();
        Vm createdVm = null;
        GuestRam allocated = null;
        MachineDevices built = null;
        try {
            createdVm = openedKvm.createVm();
            this.irqchip = (pc || spec.irqchip()) && openedKvm.has(Capability.IRQCHIP);
            if (pc) {
                openedKvm.require(Capability.IRQCHIP, "to boot Linux (interrupt controllers in the kernel)");
                openedKvm.require(Capability.PIT2, "to boot Linux (the i8254 timer in the kernel)");
            }
            if (irqchip) {
                createdVm.createIrqchip();
            }
            if (pc) {
                createdVm.createPit2();
                if (openedKvm.has(Capability.SET_IDENTITY_MAP_ADDR)) {
                    createdVm.setIdentityMapAddress(IDENTITY_MAP_ADDRESS);
                }
            }
            if (openedKvm.has(Capability.SET_TSS_ADDR)) {
                createdVm.setTssAddress(TSS_ADDRESS);
            }
            allocated = GuestRam.allocate(RamLayout.of(spec.memoryBytes()), true);
            this.slots = new KvmRamSlots(createdVm, allocated);
            Vm irqVm = createdVm;
            built = new MachineDevices(allocated, spec.disks(), disks, console, this::guestReported,
                    gsi -> irqchip ? pulse(irqVm, gsi) : () -> { }, pc);
            List<CpuidEntry> cpuid = guestCpuid(openedKvm, irqchip, pc);
            for (int id = 0; id < spec.vcpus(); id++) {
                Vcpu vcpu = createdVm.createVcpu(id);
                vcpu.setCpuid(GuestCpuid.forVcpu(cpuid, id));
                vcpus.add(vcpu);
            }
        } catch (IOException | RuntimeException e) {
            closeQuietly(built);
            if (createdVm != null) {
                createdVm.close();
            }
            if (allocated != null) {
                allocated.close();
            }
            openedKvm.close();
            throw e;
        }
        this.kvm = openedKvm;
        this.vm = createdVm;
        this.ram = allocated;
        this.devices = built;
        this.ramSection = new RamSection(ram, slots, throttle);
        Vcpu first = vcpus.getFirst();
        this.cpu = new CpuModel(first.cpuid(), first.savedMsrIndices(), first.tscKhz());
        registerSections();
        startParkedThreads();
    }

    /**
     * Makes and starts every vCPU's thread, held at the gate until {@link #start}: making and
     * starting a thread is cold work (77 and 45 ms of a restored guest's pause in a nested KVM),
     * so it happens here, long before a migration's pause, and the start only opens the gate.
     */
    private void startParkedThreads() {
        for (Vcpu vcpu : vcpus) {
            // Without an in-kernel irqchip nothing can wake an application processor: it waits halted.
            boolean halted = vcpu.id() > 0 && !irqchip;
            threads.add(new VcpuThread(vcpu, devices.pio, devices.mmio, gate, halted, this::vcpuStopped));
        }
        threads.forEach(VcpuThread::start);
    }

    /**
     * Builds a machine with the built-in guest loaded and its workload configured, ready to
     * {@link #start}.
     *
     * @param spec the machine's shape
     * @param console where the guest's UART output goes
     * @return the machine, created
     * @throws IOException if a disk image cannot be opened
     */
    public static Machine boot(MachineSpec spec, UartSink console) throws IOException {
        Machine machine = new Machine(spec, console, DiskOpener.BY_SPEC, false);
        try {
            machine.loadGuest();
        } catch (RuntimeException e) {
            machine.close();
            throw e;
        }
        return machine;
    }

    /**
     * Builds a machine with a Linux kernel loaded by the 64-bit boot protocol (with its initrd and
     * command line, ACPI tables, an MP table and an e820 map), ready to {@link #start}. The machine
     * has KVM's in-kernel irqchip and PIT and the UART on IRQ 4, so {@code console=ttyS0} works;
     * each disk is a virtio-mmio virtio-blk the ACPI tables declare (Linux's virtio_mmio and
     * virtio_blk drivers find it as /dev/vda, /dev/vdb, ...), at most 8. The kernel and initrd are
     * read and checked first: bad input fails before any VM exists.
     *
     * @param spec the machine's shape; its workload is unused
     * @param linux the kernel, initrd and command line
     * @param console where the guest's UART output goes
     * @return the machine, created
     * @throws IOException if a file cannot be read or a disk image opened
     * @throws IllegalArgumentException in one line, when the kernel cannot boot (see {@link LinuxImage#read})
     *     or there are more than 8 disks
     */
    public static Machine bootLinux(MachineSpec spec, LinuxBoot linux, UartSink console) throws IOException {
        if (spec.disks().size() > MachineDevices.MAX_PC_DISKS) {
            throw new IllegalArgumentException("a Linux guest takes at most " + MachineDevices.MAX_PC_DISKS + " disks, not "
                    + spec.disks().size());
        }
        LinuxImage kernel = LinuxImage.read(linux, spec.memoryBytes());
        Machine machine = new Machine(spec, console, DiskOpener.BY_SPEC, true);
        try {
            Vcpu boot = machine.vcpus.getFirst();
            LinuxLoader.load(machine.ram, kernel, machine.vcpus.size(), machine.devices.virtioDevices()).enter(boot);
        } catch (RuntimeException e) {
            machine.close();
            throw e;
        }
        return machine;
    }

    /**
     * Builds a machine whose memory and devices are ready but whose state comes from elsewhere:
     * {@link #receive} an incoming migration (or {@link #restore} a snapshot), then {@link #start}.
     *
     * @param spec the machine's shape, as the source's
     * @param console where the guest's UART output goes
     * @return the machine, created
     * @throws IOException if a disk image cannot be opened
     */
    public static Machine incoming(MachineSpec spec, UartSink console) throws IOException {
        return new Machine(spec, console, DiskOpener.BY_SPEC, false);
    }

    /**
     * As {@link #incoming(MachineSpec, UartSink)}, over disks the caller has already opened and
     * checked (an incoming migration's destination images), one per {@code spec.disks()} entry and
     * in that order. The machine owns them from then on and closes them with itself.
     *
     * @param spec the machine's shape, as the source's
     * @param console where the guest's UART output goes
     * @param opened one open image per disk spec
     * @return the machine, created
     * @throws IOException if the machine cannot be built
     */
    public static Machine incoming(MachineSpec spec, UartSink console, List<BlockDevice> opened) throws IOException {
        return incoming(spec, console, opened, false);
    }

    /**
     * As {@link #incoming(MachineSpec, UartSink, List)}, for the machine the source's {@link
     * MachineConfig#linux} names: with {@code linux}, the PC a Linux kernel runs on, as {@link
     * #bootLinux} builds it but with nothing loaded (the kernel is in the RAM that arrives).
     *
     * @param spec the machine's shape, as the source's
     * @param console where the guest's UART output goes
     * @param opened one open image per disk spec
     * @param linux whether to build the Linux PC
     * @return the machine, created
     * @throws IOException if the machine cannot be built
     */
    public static Machine incoming(MachineSpec spec, UartSink console, List<BlockDevice> opened, boolean linux)
            throws IOException {
        if (opened.size() != spec.disks().size()) {
            throw new IllegalArgumentException(opened.size() + " opened disks for " + spec.disks().size() + " disk specs");
        }
        return new Machine(spec, console, (index, disk) -> opened.get(index), linux);
    }

    /** The CPUID every vCPU gets before {@link GuestCpuid#forVcpu}: the PC's says it runs under a hypervisor. */
    static List<CpuidEntry> guestCpuid(Kvm kvm, boolean irqchip, boolean pc) {
        List<CpuidEntry> vmCpuid = GuestCpuid.forVm(kvm.supportedCpuid(), irqchip, kvm.has(Capability.TSC_DEADLINE_TIMER));
        return pc ? GuestCpuid.announcingHypervisor(vmCpuid) : vmCpuid;
    }

    private static InterruptLine pulse(Vm vm, int gsi) {
        return () -> {
            vm.irqLine(gsi, true);
            vm.irqLine(gsi, false);
        };
    }

    private void loadGuest() {
        image.loadInto(ram);
        guestConfig().writeTo(ram, image);
        Vcpu boot = vcpus.getFirst();
        Sregs longMode = boot.getSregs().withLongMode(image.cr3());
        boot.setSregs(new Sregs(longMode.cs(), longMode.ds(), longMode.es(), longMode.fs(), longMode.gs(), longMode.ss(),
                longMode.tr(), longMode.ldt(), longMode.gdt(), longMode.idt(), longMode.cr0() | CR0_MP, longMode.cr2(),
                longMode.cr3(), longMode.cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT, longMode.cr8(), longMode.efer(),
                longMode.apicBase(), longMode.interruptBitmap()));
        boot.setRegs(Regs.entry(image.entry(), image.stackPointer()));
    }

    private GuestConfig guestConfig() {
        GuestWorkload w = spec.workload();
        GuestConfig arena = GuestConfig.forRam(image, Math.min(spec.memoryBytes(), RamLayout.HOLE_START), cpu.tscKhz(), 0);
        boolean disk = !devices.disks.isEmpty();
        return new GuestConfig(arena.tscKhz(), arena.arenaBase(), arena.arenaSize(), w.memRate(),
                disk ? MachineDevices.diskMmio(0) : 0, disk ? w.diskRate() : 0, w.diskBlocks(), w.blockSize(),
                w.readPercent(), w.batch(), w.progressMillis(), w.seed());
    }

    private void registerSections() {
        sections.register(ramSection);
        for (int id = 0; id < vcpus.size(); id++) {
            int cpu = id;
            // One rehearsal, with vCPU 0's section, warms every "cpu" section and "kvm-vm".
            Runnable rehearsal = cpu == 0 ? StateRehearsal::run : () -> { };
            sections.register(new RecordSection<>(new SectionId("cpu", cpu, CpuSnapshot.VERSION), CpuSnapshot.class,
                    () -> cpuSnapshot(cpu), snapshot -> restoreCpu(cpu, snapshot), rehearsal));
        }
        sections.register(new RecordSection<>(new SectionId("kvm-vm", 0, KvmVmSnapshot.VERSION), KvmVmSnapshot.class,
                () -> KvmVmSnapshot.of(vm.saveState()), this::restoreKvm));
        sections.register(new RecordSection<>(new SectionId("serial", 0, UartState.VERSION), UartState.class,
                devices.uart::state, uart -> {
                    requireCreated("restore the UART");
                    devices.uart.restore(uart);
                }));
        devices.cmos.ifPresent(cmos -> sections.register(new RecordSection<>(new SectionId("cmos", 0, CmosState.VERSION),
                CmosState.class, cmos::state, state -> {
                    requireCreated("restore the CMOS clock");
                    cmos.restore(state);
                })));
        devices.acpiPm.ifPresent(pm -> sections.register(new RecordSection<>(new SectionId("acpi-pm", 0, AcpiPmState.VERSION),
                AcpiPmState.class, pm::state, state -> {
                    requireCreated("restore the ACPI PM registers");
                    pm.restore(state);
                })));
        for (int i = 0; i < devices.virtio.size(); i++) {
            var transport = devices.virtio.get(i);
            sections.register(new RecordSection<>(new SectionId("virtio-mmio", i, VirtioMmioState.VERSION),
                    VirtioMmioState.class, transport::state, virtio -> {
                        requireCreated("restore a virtio device");
                        transport.restore(virtio);
                    }));
        }
    }

    /**
     * What the machine was built from.
     *
     * @return the spec
     */
    public MachineSpec spec() {
        return spec;
    }

    /**
     * The machine's shape and guest CPU, which a migration's destination checks first ({@link #accept}).
     *
     * @return the config
     */
    public MachineConfig config() {
        List<DiskConfig> disks = IntStream.range(0, devices.disks.size())
                .mapToObj(i -> new DiskConfig(MachineDevices.diskId(i), devices.disks.get(i).size(),
                        devices.disks.get(i).readOnly()))
                .toList();
        return new MachineConfig(spec.memoryBytes(), spec.vcpus(), irqchip, pc, disks, Optional.of(cpu));
    }

    /**
     * Destination, CONFIG stage (before any state, while the source still runs): fails naming the
     * first difference unless this created machine can take the {@code source}'s state: the same
     * shape, the same guest CPUID, every MSR the source migrates, and its TSC rate (adopted here
     * through TSC scaling when it differs from this host's).
     *
     * @param source the source's config
     * @throws IOException a {@link MigrationException} in CONFIG naming the first difference
     */
    public void accept(MachineConfig source) throws IOException {
        requireCreated("accept a migration");
        MachineConfig local = config();
        ConfigCheck.sameAs(new MachineConfig(local.memoryBytes(), local.vcpus(), local.irqchip(), local.linux(), local.disks(),
                source.cpu())).check(source);
        CpuModel theirs = source.cpu().orElseThrow(() -> new MigrationException(Phase.CONFIG,
                "the source sent no guest CPU model"));
        CpuModel ours = local.cpu().orElseThrow();
        ours.accept(theirs, kvm.has(Capability.TSC_CONTROL));
        if (theirs.tscKhz() != ours.tscKhz()) {
            vcpus.forEach(vcpu -> vcpu.setTscKhz(theirs.tscKhz()));
            cpu = theirs;
        }
    }

    /**
     * Whether this machine runs a Linux kernel ({@link #bootLinux}) rather than the built-in guest,
     * whose status block and commands ({@link #guestStatus}, {@link #command}) it then lacks.
     *
     * @return true for a Linux guest
     */
    public boolean runsLinux() {
        return pc;
    }

    /**
     * Why this machine cannot migrate from this host, if it cannot: a Linux guest needs its PIT
     * (KVM_CAP_PIT_STATE2) and its kvmclock (KVM_CAP_ADJUST_CLOCK) saved and restored, or its timer
     * and its time would not survive the move; the built-in guest keeps time by the TSC alone.
     *
     * @return the reason, in one line, or empty
     */
    public Optional<String> migrationBlocker() {
        if (!pc) {
            return Optional.empty();
        }
        List<String> missing = new ArrayList<>();
        if (!kvm.has(Capability.PIT_STATE2)) {
            missing.add("KVM_CAP_PIT_STATE2 (to save the PIT)");
        }
        if (!kvm.has(Capability.ADJUST_CLOCK)) {
            missing.add("KVM_CAP_ADJUST_CLOCK (to carry the kvmclock)");
        }
        return missing.isEmpty() ? Optional.empty()
                : Optional.of("a Linux guest cannot migrate from this host: KVM lacks " + String.join(" and ", missing));
    }

    /**
     * Whether KVM's in-kernel irqchip is in use (asked for and offered by the host).
     *
     * @return true with the in-kernel irqchip
     */
    public boolean irqchip() {
        return irqchip;
    }

    /**
     * The migration sections: "ram" (live), "cpu" per vCPU, "kvm-vm" with an irqchip, "serial", "cmos" and
     * "acpi-pm" on the Linux PC, "virtio-mmio" per disk.
     *
     * @return the registry
     */
    public SectionRegistry sections() {
        return sections;
    }

    /**
     * The RAM section, for its statistics.
     *
     * @return the RAM section
     */
    public RamSection ram() {
        return ramSection;
    }

    /**
     * Guest RAM.
     *
     * @return guest RAM
     */
    public GuestRam memory() {
        return ram;
    }

    /**
     * The open disk images in bus order.
     *
     * @return an immutable list
     */
    public List<BlockDevice> disks() {
        return List.copyOf(devices.disks);
    }

    /**
     * Whether guest writes are being tracked for a migration (KVM dirty log or DMA bitmap).
     *
     * @return true while tracking
     */
    public boolean dirtyLogging() {
        return slots.logging() || ram.trackingDma();
    }

    /**
     * The share of time auto-converge holds the vCPUs, in percent.
     *
     * @return percent, 0 while not throttled
     */
    public int throttlePercent() {
        return throttle.percent();
    }

    /**
     * Where the machine is in its life.
     *
     * @return the state
     */
    public RunState state() {
        synchronized (lifecycle) {
            return state;
        }
    }

    /**
     * Why the machine is in its state (for SHUTDOWN and FAILED: what ended it).
     *
     * @return the reason, a short phrase
     */
    public String stateReason() {
        synchronized (lifecycle) {
            return reason;
        }
    }

    /**
     * Adds a listener of every later state change.
     *
     * @param listener called on the thread that changes the state
     */
    public void addListener(MachineListener listener) {
        listeners.add(listener);
    }

    /**
     * The guest's status block: its liveness counters, read without stopping it.
     *
     * @return the status
     */
    public GuestStatus guestStatus() {
        return GuestStatus.read(ram, image);
    }

    /**
     * Posts a command to the running guest (it answers on the UART and in its status block).
     *
     * @param command what to do
     * @return the command's sequence number, which the guest echoes when done
     */
    public synchronized int command(GuestCommand command) {
        int seq = ram.slice(image.configAddress() + COMMAND_SEQ, 4).get(ValueLayout.JAVA_INT_UNALIGNED, 0) + 1;
        GuestConfig.post(ram, image, command, seq);
        gate.wake(); // an idle guest picks it up now, not at the end of its wait
        return seq;
    }

    /**
     * Starts the vCPUs of a created machine.
     *
     * @return when they were let go ({@link System#nanoTime()}): where a restored guest's pause
     *     ends, before the state's listeners and the log hear of it
     */
    public long start() {
        control.lock();
        try {
            requireCreated("start");
            long told = tellGuestItWasStopped(); // a restored guest: its clock jumps by the time it spent moving
            gate.release(RunGate.START);
            long started = System.nanoTime();
            transition(RunState.RUNNING, "started", from -> true);
            logTold(told);
            return started;
        } finally {
            control.unlock();
        }
    }

    /**
     * Parks every vCPU between exits (each exit fully handled and completed in KVM first) and
     * returns once all are parked. Devices work only on vCPU threads, so nothing changes the
     * guest any more. No effect unless running.
     */
    @Override
    public void pause() {
        control.lock();
        try {
            if (state() != RunState.RUNNING) {
                return;
            }
            // For the debug log only, and put into words only if the stop is slow: the pause is
            // inside a migration's downtime (a plain loop: a lambda's first call is a bootstrap).
            List<VcpuThread.Activity> atKick = new ArrayList<>(threads.size());
            if (LOG.isDebugEnabled()) {
                for (VcpuThread thread : threads) {
                    atKick.add(thread.activity());
                }
            }
            long kicked = System.nanoTime();
            gate.hold(RunGate.PAUSE);
            long stopped = System.nanoTime() - kicked;
            if (stopped > SLOW_STOP_NANOS && !atKick.isEmpty()) {
                LOG.debug("pause: the vCPUs stopped in {} ms; at the kick: {}", stopped / 1_000_000, atKick);
            }
            transition(RunState.PAUSED, "paused", from -> from == RunState.RUNNING);
        } catch (InterruptedException e) {
            gate.release(RunGate.PAUSE);
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while pausing the machine", e);
        } finally {
            control.unlock();
        }
    }

    /** Lets a paused machine run again. No effect unless paused. */
    @Override
    public void resume() {
        control.lock();
        try {
            if (transition(RunState.RUNNING, "resumed", from -> from == RunState.PAUSED)) {
                long told = tellGuestItWasStopped();
                gate.release(RunGate.PAUSE);
                logTold(told);
            }
        } finally {
            control.unlock();
        }
    }

    /**
     * Sets the kvmclock "stopped by the host" flag of every vCPU (parked or not started) before it
     * runs again, so a Linux guest does not take the stop for a soft lockup or an RCU stall. A
     * guest without kvmclock (the built-in one, or Linux before it set its clock up) has nothing
     * to be told. Returns how many were.
     */
    private long tellGuestItWasStopped() {
        long told = 0;
        for (Vcpu vcpu : vcpus) { // a plain loop: a stream's first use links lambdas inside the pause
            if (vcpu.tellGuestItWasStopped()) {
                told++;
            }
        }
        return told;
    }

    /** Logged once the vCPUs run: a line written before costs the paused guest (tens of ms in a nested KVM). */
    private void logTold(long told) {
        if (told > 0) {
            LOG.debug("told {} of {} vCPUs' kvmclock that the guest was stopped", told, vcpus.size());
        }
    }

    /**
     * Sends every vCPU of this paused machine a non-maskable interrupt, as QEMU's {@code nmi}
     * monitor command does: a Linux guest booted with {@code unknown_nmi_panic} then panics and
     * prints the stack it was on, which is how a guest that hangs with interrupts off shows where.
     *
     * @throws IllegalStateException unless paused
     */
    public void injectNmi() {
        if (state() != RunState.PAUSED) {
            throw new IllegalStateException("an NMI is injected only while paused, the machine is " + state());
        }
        vcpus.forEach(Vcpu::nmi);
    }

    /** Stops the machine for good (state SHUTDOWN) and waits for the vCPU threads to end. */
    public void shutdown() {
        control.lock();
        try {
            end(false, "shut down by the VMM");
            joinThreads();
        } finally {
            control.unlock();
        }
    }

    /**
     * Waits until the machine reaches a final state or {@code timeout} passes; returns the state then.
     *
     * @param timeout the longest wait
     * @return the state then
     * @throws InterruptedException if the waiting thread is interrupted
     */
    public RunState awaitEnd(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lifecycle) {
            while (!state.isFinal()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                lifecycle.wait(Math.max(1, left / 1_000_000));
            }
            return state;
        }
    }

    /**
     * The state of every vCPU and device of a machine that is not running (paused, created or ended).
     *
     * @return the snapshot
     */
    public MachineSnapshot snapshot() {
        RunState now = state();
        if (now == RunState.RUNNING) {
            throw new IllegalStateException("snapshot of a running machine: pause it first");
        }
        if (now.isFinal()) {
            // The vCPU threads finish their last exit inside KVM before they end (RunGate): wait for that.
            joinThreads();
        }
        List<CpuSnapshot> cpus = IntStream.range(0, vcpus.size()).mapToObj(this::cpuSnapshot).toList();
        return new MachineSnapshot(cpus, KvmVmSnapshot.of(vm.saveState()), devices.uart.state(),
                devices.cmos.map(CmosRtc::state), devices.acpiPm.map(AcpiPmRegisters::state), devices.virtioStates());
    }

    /**
     * Restores a snapshot into this created machine (made by {@link #incoming}, with a copy of the
     * source's memory and disks); then {@link #start} continues the guest where it was.
     *
     * @param snapshot from {@link #snapshot()} of a source machine of the same shape
     */
    public void restore(MachineSnapshot snapshot) {
        requireCreated("restore");
        if (snapshot.cpus().size() != vcpus.size()) {
            throw new IllegalArgumentException("snapshot has " + snapshot.cpus().size() + " vCPUs, this machine "
                    + vcpus.size());
        }
        for (CpuSnapshot cpu : snapshot.cpus()) {
            restoreCpu(cpu.id(), cpu);
        }
        restoreKvm(snapshot.kvm());
        devices.uart.restore(snapshot.uart());
        if (snapshot.cmos().isPresent() != pc || snapshot.acpiPm().isPresent() != pc) {
            throw new IllegalArgumentException("snapshot " + (pc ? "lacks" : "has") + " the Linux PC's CMOS clock or ACPI PM"
                    + " registers, this machine " + (pc ? "has both" : "has neither"));
        }
        snapshot.cmos().ifPresent(cmos -> devices.cmos.orElseThrow().restore(cmos));
        snapshot.acpiPm().ifPresent(pm -> devices.acpiPm.orElseThrow().restore(pm));
        devices.restoreVirtio(snapshot.disks());
    }

    /**
     * Starts migrating this running machine over {@code channel}; the driver pauses it at the switch.
     *
     * @param channel writable and open
     * @param options limits and timeouts
     * @return the running migration
     */
    public MigrationDriver migrate(MigrationChannel channel, MigrationOptions options) {
        return MigrationDriver.start(sections, this, config(), channel, options);
    }

    /**
     * Receives an incoming migration into this created machine, blocking until the stream ended
     * and every section loaded and verified; then {@link #start} runs the guest. On failure the
     * machine stays created (never runs a partial state).
     *
     * @param channel readable and open
     * @return what was received
     * @throws MigrationException naming the phase and the problem
     */
    public IncomingStats receive(MigrationChannel channel) throws MigrationException {
        requireCreated("receive a migration");
        return IncomingMigration.receive(sections, MachineConfig.class, this::accept, channel);
    }

    private CpuSnapshot cpuSnapshot(int id) {
        return CpuSnapshot.of(id, vcpus.get(id).saveState(), threads.get(id).halted());
    }

    private void restoreCpu(int id, CpuSnapshot snapshot) {
        requireCreated("restore vCPU " + id);
        if (snapshot.id() != id || id >= vcpus.size()) {
            throw new IllegalArgumentException("vCPU snapshot " + snapshot.id() + " given for vCPU " + id);
        }
        vcpus.get(id).restoreState(snapshot.toVcpuState());
        threads.get(id).restoreHalted(snapshot.halted());
    }

    private void restoreKvm(KvmVmSnapshot snapshot) {
        requireCreated("restore the in-kernel devices and the clock");
        boolean chips = !snapshot.irqchips().isEmpty();
        if (chips != irqchip) {
            throw new IllegalArgumentException("snapshot " + (chips ? "has" : "lacks")
                    + " in-kernel irqchip state, this machine " + (irqchip ? "has" : "has none"));
        }
        vm.restoreState(snapshot.toVmState());
    }

    private void guestReported(GuestReport report) {
        if (report.kind() == GuestReport.Kind.IDLE) {
            // The built-in guest's idle turn: its vCPU thread waits here instead of the guest spinning.
            gate.rest(TimeUnit.MICROSECONDS.toNanos(report.argument()));
            return;
        }
        lastReport = report;
        switch (report.kind()) {
            case STOP -> end(false, "the guest asked to stop");
            case PANIC -> end(true, String.format("guest panic: exception vector 0x%x", report.argument()));
            case CONFIG_ERROR -> end(true, String.format("the guest rejected its config at offset 0x%x", report.argument()));
            default -> LOG.debug("guest reports {}", report);
        }
    }

    private void vcpuStopped(VcpuStop stop) {
        end(stop.failed(), stop.failed() ? stop.reason() + "; " + guestEvidence() : stop.reason());
    }

    /** What the guest itself last said: its last exit-port report and its status block. */
    private String guestEvidence() {
        GuestReport report = lastReport;
        GuestStatus status = guestStatus();
        String said = report == null ? "no report" : report.kind().name().toLowerCase() + " " + report.argument();
        if (!status.valid()) {
            return "the guest's last report: " + said + "; no status block";
        }
        String panic = status.state() == GuestStatus.State.PANIC
                ? String.format(", panic vector 0x%x at rip 0x%x", status.panicVector(), status.panicRip()) : "";
        return String.format("the guest's last report: %s; its status: %s after %d loop turns, %d pages and %d blocks written%s",
                said, status.state().name().toLowerCase(), status.iterations(), status.pagesWritten(),
                status.blocksWritten(), panic);
    }

    /** Moves to SHUTDOWN or FAILED (once) and lets every vCPU thread leave its loop. */
    private void end(boolean failed, String why) {
        if (!transition(failed ? RunState.FAILED : RunState.SHUTDOWN, why, from -> !from.isFinal())) {
            return;
        }
        if (failed) {
            LOG.error("machine failed: {}", why);
        } else {
            LOG.info("machine stops: {}", why);
        }
        gate.close();
        throttle.close();
    }

    /**
     * Moves to {@code to} if the current state passes {@code allowed}; returns whether it did. The
     * listeners hear of it after the lifecycle lock is released, so one that asks the machine
     * anything (or blocks) cannot deadlock a vCPU thread ending the machine.
     */
    private boolean transition(RunState to, String why, Predicate<RunState> allowed) {
        RunState from;
        synchronized (lifecycle) {
            from = state;
            if (!allowed.test(from)) {
                return false;
            }
            state = to;
            reason = why;
            lifecycle.notifyAll();
        }
        for (MachineListener listener : listeners) {
            listener.stateChanged(this, from, to, why);
        }
        return true;
    }

    private void requireCreated(String what) {
        RunState now = state();
        if (now != RunState.CREATED) {
            throw new IllegalStateException("cannot " + what + ": the machine is " + now.name().toLowerCase() + ", not created");
        }
    }

    private void joinThreads() {
        for (VcpuThread thread : threads) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Shuts down if needed, then frees the VM, its memory and disks. */
    @Override
    public void close() {
        shutdown();
        throttle.close();
        vm.close();
        kvm.close();
        ram.close();
        closeQuietly(devices);
    }

    private static void closeQuietly(MachineDevices devices) {
        if (devices == null) {
            return;
        }
        try {
            devices.close();
        } catch (IOException e) {
            LOG.warn("closing the disks failed: {}", e.getMessage());
        }
    }
}
