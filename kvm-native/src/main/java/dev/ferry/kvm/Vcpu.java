package dev.ferry.kvm;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import dev.ferry.kvm.bindings.Ioctls;
import dev.ferry.kvm.bindings.KvmCpuid2;
import dev.ferry.kvm.bindings.KvmDebugregs;
import dev.ferry.kvm.bindings.KvmFpu;
import dev.ferry.kvm.bindings.KvmIrqLevel;
import dev.ferry.kvm.bindings.KvmLapicState;
import dev.ferry.kvm.bindings.KvmMpState;
import dev.ferry.kvm.bindings.KvmMsrs;
import dev.ferry.kvm.bindings.KvmRegs;
import dev.ferry.kvm.bindings.KvmRun;
import dev.ferry.kvm.bindings.KvmSregs;
import dev.ferry.kvm.bindings.KvmVcpuEvents;
import dev.ferry.kvm.bindings.KvmXcrs;
import dev.ferry.kvm.bindings.KvmXsave;
import dev.ferry.kvm.bindings.LibC;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * A vCPU fd and its mapped kvm_run area. {@link #run()} belongs to one thread at a time (the
 * vCPU's thread); {@link #kick()} may come from any thread. State get/set is for a stopped vCPU.
 */
public final class Vcpu implements AutoCloseable {

    private final Vm vm;
    private final int id;
    private final int fd;
    private final MemorySegment run;
    private final ExitDecoder exits;
    private volatile boolean inRun;
    private volatile long pthread;
    private volatile List<CpuidEntry> cpuid = List.of();
    private List<Integer> savedMsrs;
    private boolean closed;

    private Vcpu(Vm vm, int id, int fd, MemorySegment run) {
        this.vm = vm;
        this.id = id;
        this.fd = fd;
        this.run = run;
        this.exits = new ExitDecoder(run);
    }

    @SuppressWarnings("restricted")
    static Vcpu create(Vm vm, int id, int fd) {
        int size = vm.kvm().vcpuMmapSize();
        MemorySegment address = LibC.mmap(MemorySegment.NULL, size, LibC.PROT_READ | LibC.PROT_WRITE,
                LibC.MAP_SHARED, fd, 0);
        if (address.address() == LibC.MAP_FAILED) {
            int errno = LibC.errno();
            LibC.close(fd);
            throw new KvmException("mmap(kvm_run of vCPU " + id + ")", errno);
        }
        Vcpu vcpu = new Vcpu(vm, id, fd, address.reinterpret(size));
        VcpuKicker.prepare();
        return vcpu;
    }

    /**
     * The vCPU id given at creation.
     *
     * @return the id
     */
    public int id() {
        return id;
    }

    int fd() {
        return fd;
    }

    Vm vm() {
        return vm;
    }

    /**
     * The mapped {@code struct kvm_run} (and the pages after it), for what the typed API lacks.
     *
     * @return the mapping, valid until close
     */
    public MemorySegment kvmRun() {
        return run;
    }

    /**
     * Runs the guest until it exits to the VMM (KVM_RUN). Returns {@link VcpuExit.Interrupted} when
     * {@link #kick()}ed or a signal arrived, or when an application processor's wait for INIT/SIPI
     * ended (EAGAIN); other errors throw {@link KvmException}.
     *
     * @return why the guest stopped
     */
    public VcpuExit run() {
        pthread = LibC.pthreadSelf();
        inRun = true;
        int result = LibC.ioctl(fd, Ioctls.KVM_RUN.request(), 0L);
        inRun = false;
        if (result < 0) {
            int errno = LibC.errno();
            if (errno == LibC.EINTR) {
                KvmRun.immediateExit(run, false);
                return ExitDecoder.INTERRUPTED;
            }
            if (errno == LibC.EAGAIN) {
                // An application processor left its wait for INIT/SIPI: run it again (as QEMU does).
                return ExitDecoder.INTERRUPTED;
            }
            throw new KvmException(Ioctls.KVM_RUN.name(), errno);
        }
        return exits.decode();
    }

    /**
     * Makes the current or next {@link #run()} return {@link VcpuExit.Interrupted} promptly: sets
     * kvm_run.immediate_exit and signals the vCPU thread when it is inside KVM_RUN.
     */
    public void kick() {
        KvmRun.immediateExit(run, true);
        if (inRun) {
            VcpuKicker.signal(pthread);
        }
    }

    /**
     * The guest's TSC rate in kHz (KVM_GET_TSC_KHZ): what the guest must pace itself by.
     *
     * @return kHz
     */
    public long tscKhz() {
        vm.kvm().require(Capability.GET_TSC_KHZ, "to learn the guest's TSC rate");
        return Sys.ioctl(fd, Ioctls.KVM_GET_TSC_KHZ, 0L);
    }

    /**
     * Sets the guest's TSC rate (KVM_SET_TSC_KHZ), e.g. to a migration source's; needs TSC scaling.
     *
     * @param khz the rate in kHz
     */
    public void setTscKhz(long khz) {
        vm.kvm().require(Capability.TSC_CONTROL, "to give the guest a TSC rate other than this host's");
        Sys.ioctl(fd, Ioctls.KVM_SET_TSC_KHZ, khz);
    }

    /**
     * KVM_KVMCLOCK_CTRL: before the guest's next entry KVM sets the "stopped by the host" flag in
     * this vCPU's kvmclock page, and a Linux guest then resets its soft-lockup, RCU-stall and
     * hung-task watchdogs instead of reporting the stop (a migration's pause, a paused VM) as a
     * hang. As QEMU does on every resume. Call while the vCPU is not in KVM_RUN.
     *
     * @return false if there was nothing to tell: KVM lacks the capability, or the guest has not
     *     enabled kvmclock on this vCPU (EINVAL; a guest that is not Linux, or not yet booted)
     */
    public boolean tellGuestItWasStopped() {
        if (!vm.kvm().has(Capability.KVMCLOCK_CTRL)) {
            return false;
        }
        if (LibC.ioctl(fd, Ioctls.KVM_KVMCLOCK_CTRL.request(), 0L) == 0) {
            return true;
        }
        int errno = LibC.errno();
        if (errno == Errno.EINVAL) {
            return false;
        }
        throw new KvmException(Ioctls.KVM_KVMCLOCK_CTRL.name(), errno);
    }

    /** KVM_NMI: queues an NMI (without the in-kernel irqchip; with it, the LAPIC delivers NMIs). */
    public void nmi() {
        Sys.ioctl(fd, Ioctls.KVM_NMI, 0L);
    }

    /**
     * KVM_GET_REGS.
     *
     * @return the registers
     */
    public Regs getRegs() {
        return Sys.read(fd, Ioctls.KVM_GET_REGS, KvmRegs.LAYOUT, Regs::read);
    }

    /**
     * KVM_SET_REGS.
     *
     * @param regs the registers to load
     */
    public void setRegs(Regs regs) {
        Sys.write(fd, Ioctls.KVM_SET_REGS, KvmRegs.LAYOUT, regs::write);
    }

    /**
     * KVM_GET_SREGS.
     *
     * @return the special registers
     */
    public Sregs getSregs() {
        return Sys.read(fd, Ioctls.KVM_GET_SREGS, KvmSregs.LAYOUT, Sregs::read);
    }

    /**
     * KVM_SET_SREGS.
     *
     * @param sregs the special registers to load
     */
    public void setSregs(Sregs sregs) {
        Sys.write(fd, Ioctls.KVM_SET_SREGS, KvmSregs.LAYOUT, sregs::write);
    }

    /**
     * KVM_GET_FPU.
     *
     * @return the FPU state
     */
    public Fpu getFpu() {
        return new Fpu(Sys.readBytes(fd, Ioctls.KVM_GET_FPU, KvmFpu.LAYOUT.byteSize()));
    }

    /**
     * KVM_SET_FPU.
     *
     * @param fpu the state to load
     */
    public void setFpu(Fpu fpu) {
        Sys.writeBytes(fd, Ioctls.KVM_SET_FPU, KvmFpu.LAYOUT.byteSize(), fpu.bytes(), "Fpu");
    }

    /**
     * KVM_GET_XSAVE2 when the host has it (its full, possibly larger area), else KVM_GET_XSAVE.
     *
     * @return the xsave area
     */
    public Xsave getXsave() {
        int size = vm.check(Capability.XSAVE2);
        return size > 0 ? new Xsave(Sys.readBytes(fd, Ioctls.KVM_GET_XSAVE2, size))
                : new Xsave(Sys.readBytes(fd, Ioctls.KVM_GET_XSAVE, KvmXsave.LAYOUT.byteSize()));
    }

    /**
     * KVM_SET_XSAVE.
     *
     * @param xsave the area to load
     */
    public void setXsave(Xsave xsave) {
        Sys.writeBytes(fd, Ioctls.KVM_SET_XSAVE, KvmXsave.LAYOUT.byteSize(), xsave.bytes(), "Xsave");
    }

    /**
     * KVM_GET_XCRS.
     *
     * @return XCR0 and the other XCRs
     */
    public Xcrs getXcrs() {
        return new Xcrs(Sys.readBytes(fd, Ioctls.KVM_GET_XCRS, KvmXcrs.LAYOUT.byteSize()));
    }

    /**
     * KVM_SET_XCRS.
     *
     * @param xcrs the XCRs to load
     */
    public void setXcrs(Xcrs xcrs) {
        Sys.writeBytes(fd, Ioctls.KVM_SET_XCRS, KvmXcrs.LAYOUT.byteSize(), xcrs.bytes(), "Xcrs");
    }

    /**
     * KVM_GET_LAPIC (needs the in-kernel irqchip).
     *
     * @return the LAPIC page
     */
    public Lapic getLapic() {
        return new Lapic(Sys.readBytes(fd, Ioctls.KVM_GET_LAPIC, KvmLapicState.LAYOUT.byteSize()));
    }

    /**
     * KVM_SET_LAPIC.
     *
     * @param lapic the page to load
     */
    public void setLapic(Lapic lapic) {
        Sys.writeBytes(fd, Ioctls.KVM_SET_LAPIC, KvmLapicState.LAYOUT.byteSize(), lapic.bytes(), "Lapic");
    }

    /**
     * KVM_GET_VCPU_EVENTS.
     *
     * @return the pending events
     */
    public VcpuEvents getVcpuEvents() {
        return new VcpuEvents(Sys.readBytes(fd, Ioctls.KVM_GET_VCPU_EVENTS, KvmVcpuEvents.LAYOUT.byteSize()));
    }

    /**
     * KVM_SET_VCPU_EVENTS: the flags inside the struct say which fields KVM takes (see {@link
     * VcpuEvents#forRestore()}).
     *
     * @param events the events to load
     */
    public void setVcpuEvents(VcpuEvents events) {
        Sys.writeBytes(fd, Ioctls.KVM_SET_VCPU_EVENTS, KvmVcpuEvents.LAYOUT.byteSize(), events.bytes(), "VcpuEvents");
    }

    /**
     * KVM_GET_DEBUGREGS.
     *
     * @return the debug registers
     */
    public DebugRegs getDebugRegs() {
        return new DebugRegs(Sys.readBytes(fd, Ioctls.KVM_GET_DEBUGREGS, KvmDebugregs.LAYOUT.byteSize()));
    }

    /**
     * KVM_SET_DEBUGREGS.
     *
     * @param debugRegs the registers to load
     */
    public void setDebugRegs(DebugRegs debugRegs) {
        Sys.writeBytes(fd, Ioctls.KVM_SET_DEBUGREGS, KvmDebugregs.LAYOUT.byteSize(), debugRegs.bytes(), "DebugRegs");
    }

    /**
     * KVM_GET_MP_STATE.
     *
     * @return the multiprocessing state
     */
    public MpState getMpState() {
        return Sys.read(fd, Ioctls.KVM_GET_MP_STATE, KvmMpState.LAYOUT, struct -> MpState.of(struct.get(JAVA_INT, 0)));
    }

    /**
     * KVM_SET_MP_STATE; a second and later vCPU needs RUNNABLE before it runs.
     *
     * @param state the state to set
     */
    public void setMpState(MpState state) {
        Sys.write(fd, Ioctls.KVM_SET_MP_STATE, KvmMpState.LAYOUT, struct -> struct.set(JAVA_INT, 0, state.ordinal()));
    }

    /**
     * KVM_GET_MSRS for {@code indices}; fails naming the first MSR KVM would not read.
     *
     * @param indices MSR numbers
     * @return their values, in the order asked
     */
    public List<Msr> getMsrs(List<Integer> indices) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment msrs = KvmMsrs.allocate(arena, indices.size());
            for (int i = 0; i < indices.size(); i++) {
                KvmMsrs.entry(msrs, i, indices.get(i), 0);
            }
            int read = Sys.ioctl(fd, Ioctls.KVM_GET_MSRS, msrs);
            if (read < indices.size()) {
                throw new IllegalStateException("KVM_GET_MSRS read " + read + " of " + indices.size()
                        + " MSRs: MSR 0x" + Integer.toHexString(indices.get(read)) + " is not readable here");
            }
            List<Msr> values = new ArrayList<>(read);
            for (int i = 0; i < read; i++) {
                values.add(new Msr(KvmMsrs.index(msrs, i), KvmMsrs.data(msrs, i)));
            }
            return List.copyOf(values);
        }
    }

    /**
     * KVM_SET_MSRS; fails naming the first MSR KVM refused.
     *
     * @param values the MSRs to write
     */
    public void setMsrs(List<Msr> values) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment msrs = KvmMsrs.allocate(arena, values.size());
            for (int i = 0; i < values.size(); i++) {
                KvmMsrs.entry(msrs, i, values.get(i).index(), values.get(i).value());
            }
            int written = Sys.ioctl(fd, Ioctls.KVM_SET_MSRS, msrs);
            if (written < values.size()) {
                Msr refused = values.get(written);
                throw new IllegalStateException("KVM_SET_MSRS set " + written + " of " + values.size()
                        + " MSRs: MSR 0x" + Integer.toHexString(refused.index()) + " refused value 0x"
                        + Long.toHexString(refused.value()));
            }
        }
    }

    /**
     * KVM_SET_CPUID2: the CPUID the guest sees, usually {@link GuestCpuid#forVm} of
     * {@link Kvm#supportedCpuid()} (needed for long mode); it decides which MSRs {@link #saveState()}
     * carries. Then the host's feature MSRs ({@link Kvm#featureMsrs()}), which KVM checks against
     * the CPUID, as QEMU does; one KVM does not take for this CPUID is left at its default.
     *
     * @param entries the CPUID table
     */
    public void setCpuid(List<CpuidEntry> entries) {
        setCpuidOnly(entries);
        for (Msr feature : vm.kvm().featureMsrs()) {
            trySetMsr(feature);
        }
        synchronized (this) {
            cpuid = List.copyOf(entries);
            savedMsrs = null;
        }
    }

    /**
     * The CPUID last given with {@link #setCpuid}.
     *
     * @return the table, empty before {@link #setCpuid}
     */
    public List<CpuidEntry> cpuid() {
        return cpuid;
    }

    private boolean trySetMsr(Msr msr) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment msrs = KvmMsrs.allocate(arena, 1);
            KvmMsrs.entry(msrs, 0, msr.index(), msr.value());
            return LibC.ioctl(fd, Ioctls.KVM_SET_MSRS.request(), msrs) == 1;
        }
    }

    private void setCpuidOnly(List<CpuidEntry> entries) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cpuid = KvmCpuid2.allocate(arena, entries.size());
            for (int i = 0; i < entries.size(); i++) {
                CpuidEntry e = entries.get(i);
                int[] words = {e.function(), e.index(), e.flags(), e.eax(), e.ebx(), e.ecx(), e.edx()};
                for (int w = 0; w < words.length; w++) {
                    KvmCpuid2.word(cpuid, i, w, words[w]);
                }
            }
            Sys.ioctl(fd, Ioctls.KVM_SET_CPUID2, cpuid);
        }
    }

    /**
     * KVM_INTERRUPT: queues external interrupt {@code vector} (only without the in-kernel irqchip).
     *
     * @param vector the interrupt vector, 0 to 255
     */
    public void interrupt(int vector) {
        Sys.write(fd, Ioctls.KVM_INTERRUPT, KvmIrqLevel.INTERRUPT, struct -> struct.set(JAVA_INT, 0, vector));
    }

    /**
     * The MSRs {@link #saveState()} carries: KVM_GET_MSR_INDEX_LIST filtered by {@link MsrPolicy} to
     * those this vCPU's CPUID gives the guest, then to those KVM_GET_MSRS reads here. Probed once.
     *
     * @return MSR indices
     */
    public synchronized List<Integer> savedMsrIndices() {
        if (savedMsrs == null) {
            List<Integer> readable = new ArrayList<>();
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment one = KvmMsrs.allocate(arena, 1);
                for (int index : MsrPolicy.migratable(vm.kvm().msrIndexList(), cpuid)) {
                    KvmMsrs.entry(one, 0, index, 0);
                    // KVM_GET_MSRS returns how many it read: 0 (or an error) means not here.
                    if (LibC.ioctl(fd, Ioctls.KVM_GET_MSRS.request(), one) == 1) {
                        readable.add(index);
                    }
                }
            }
            savedMsrs = List.copyOf(readable);
        }
        return savedMsrs;
    }

    /**
     * Every state of this vCPU the host supports, for migration; the vCPU must not be running.
     *
     * @return the state
     */
    public VcpuState saveState() {
        Kvm kvm = vm.kvm();
        Xsave xsave = kvm.has(Capability.XSAVE) ? getXsave() : null;
        return new VcpuState(getRegs(), getSregs(), xsave == null ? getFpu() : null, xsave,
                kvm.has(Capability.XCRS) ? getXcrs() : null, getMsrs(savedMsrIndices()),
                kvm.has(Capability.MP_STATE) ? getMpState() : null, vm.hasIrqchip() ? getLapic() : null,
                kvm.has(Capability.VCPU_EVENTS) ? getVcpuEvents() : null,
                kvm.has(Capability.DEBUGREGS) ? getDebugRegs() : null);
    }

    /**
     * Restores a {@link #saveState()} result in QEMU's order: regs; xsave (or fpu); xcrs; sregs,
     * whose APIC base (x2APIC or not) decides how KVM reads the LAPIC page; the LAPIC (QEMU's APIC
     * device loads right after its base, before the vCPU's other state); MSRs; vCPU events, with
     * their NMI-pending and SIPI-vector fields marked valid; MP state after the LAPIC and the events
     * (a latched INIT in the events decides which MP states KVM accepts, and the LAPIC holds the
     * INIT/SIPI state it refers to); the TSC deadline MSR, which KVM takes only once the LAPIC is in
     * TSC-deadline mode; debug registers.
     *
     * @param state from {@link #saveState()}, maybe of another host
     */
    public void restoreState(VcpuState state) {
        setRegs(state.regs());
        if (state.xsave() != null) {
            setXsave(state.xsave());
        } else {
            setFpu(state.fpu());
        }
        if (state.xcrs() != null) {
            setXcrs(state.xcrs());
        }
        setSregs(state.sregs());
        if (state.lapic() != null) {
            setLapic(state.lapic());
        }
        setMsrs(state.msrs().stream().filter(m -> m.index() != Msr.IA32_TSC_DEADLINE).toList());
        if (state.vcpuEvents() != null) {
            setVcpuEvents(state.vcpuEvents().forRestore());
        }
        if (state.mpState() != null) {
            setMpState(state.mpState());
        }
        setMsrs(state.msrs().stream().filter(m -> m.index() == Msr.IA32_TSC_DEADLINE).toList());
        if (state.debugRegs() != null) {
            setDebugRegs(state.debugRegs());
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        Sys.check(LibC.munmap(run, run.byteSize()), "munmap(kvm_run)");
        Sys.close(fd, "vCPU " + id);
    }
}
