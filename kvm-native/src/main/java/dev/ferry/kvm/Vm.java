package dev.ferry.kvm;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.ferry.kvm.bindings.Ioctls;
import dev.ferry.kvm.bindings.KvmClockData;
import dev.ferry.kvm.bindings.KvmConstants;
import dev.ferry.kvm.bindings.KvmEnableCap;
import dev.ferry.kvm.bindings.KvmIoeventfd;
import dev.ferry.kvm.bindings.KvmIrqLevel;
import dev.ferry.kvm.bindings.KvmIrqchip;
import dev.ferry.kvm.bindings.KvmPitState2;
import dev.ferry.kvm.bindings.KvmUserspaceMemoryRegion;
import dev.ferry.kvm.bindings.LibC;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * A VM fd: guest memory slots with dirty logging, the in-kernel irqchip, PIT and clock, ioeventfds
 * and irqfds, and its {@link Vcpu}s. Closing it closes its vCPUs and drops its slots.
 */
public final class Vm implements AutoCloseable {

    private static final int[] IRQCHIPS = {
        KvmConstants.KVM_IRQCHIP_PIC_MASTER, KvmConstants.KVM_IRQCHIP_PIC_SLAVE, KvmConstants.KVM_IRQCHIP_IOAPIC};

    private final Kvm kvm;
    private final int fd;
    private final Map<Integer, MemorySlot> slots = new HashMap<>();
    private final List<Vcpu> vcpus = new ArrayList<>();
    private volatile boolean manualDirtyLogProtect;
    private volatile boolean irqchip;
    private volatile boolean pit;
    private boolean closed;

    Vm(Kvm kvm, int fd) {
        this.kvm = kvm;
        this.fd = fd;
    }

    int fd() {
        return fd;
    }

    Kvm kvm() {
        return kvm;
    }

    /**
     * KVM_CHECK_EXTENSION on this VM: like {@link Kvm#check} but for this VM's type and setup.
     *
     * @param capability the capability to probe
     * @return KVM_CHECK_EXTENSION's value on this VM
     */
    public int check(Capability capability) {
        return Sys.ioctl(fd, Ioctls.KVM_CHECK_EXTENSION, capability.number());
    }

    /**
     * True once {@link #createIrqchip()} ran: HLT then waits in the kernel and LAPIC state exists.
     *
     * @return true with the in-kernel irqchip
     */
    public boolean hasIrqchip() {
        return irqchip;
    }

    boolean manualDirtyLogProtect() {
        return manualDirtyLogProtect;
    }

    /**
     * Switches dirty logging to manual protect (KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2): fetching no
     * longer clears, {@link MemorySlot#clearDirtyLog} does, which makes fetches of big slots cheap.
     * With {@code initiallySet} (when offered) a slot starts logging with every page dirty and
     * write-protection happens as the VMM clears. Call before mapping memory.
     *
     * @param initiallySet whether new logging starts with every page dirty
     * @return false, changing nothing, when this host lacks the capability
     */
    public synchronized boolean enableManualDirtyLogProtect(boolean initiallySet) {
        int offered = check(Capability.MANUAL_DIRTY_LOG_PROTECT2);
        if (offered == 0) {
            return false;
        }
        long mode = KvmConstants.KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE
                | (initiallySet ? offered & KvmConstants.KVM_DIRTY_LOG_INITIALLY_SET : 0);
        enableCap(KvmConstants.KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, mode);
        manualDirtyLogProtect = true;
        return true;
    }

    private void enableCap(int cap, long arg0) {
        Sys.write(fd, Ioctls.KVM_ENABLE_CAP, KvmEnableCap.LAYOUT, struct -> KvmEnableCap.set(struct, cap, arg0));
    }

    /**
     * Maps {@code host} (page-aligned, a whole number of pages, e.g. from {@link HostMemory}) at
     * guest physical {@code guestAddress} as slot {@code slot}, logging dirty pages when asked.
     *
     * @param slot a slot number not in use
     * @param guestAddress guest physical address, page-aligned
     * @param host page-aligned host memory, kept alive by the caller
     * @param logDirtyPages whether KVM logs writes from the start
     * @return the mapped slot
     */
    public synchronized MemorySlot mapMemory(int slot, long guestAddress, MemorySegment host, boolean logDirtyPages) {
        if (slots.containsKey(slot)) {
            throw new IllegalArgumentException("memory slot " + slot + " is already mapped");
        }
        if (host.address() % HostMemory.PAGE_SIZE != 0 || host.byteSize() % HostMemory.PAGE_SIZE != 0
                || guestAddress % HostMemory.PAGE_SIZE != 0 || host.byteSize() == 0) {
            throw new IllegalArgumentException("memory slot " + slot + ": host memory and guest address must be "
                    + "page-aligned whole pages, got host 0x" + Long.toHexString(host.address()) + "+"
                    + host.byteSize() + " at guest 0x" + Long.toHexString(guestAddress));
        }
        int flags = logDirtyPages ? KvmConstants.KVM_MEM_LOG_DIRTY_PAGES : 0;
        setRegion(slot, flags, guestAddress, host);
        MemorySlot mapped = new MemorySlot(this, slot, guestAddress, host, flags);
        slots.put(slot, mapped);
        return mapped;
    }

    /**
     * The slots mapped now.
     *
     * @return the slots, a snapshot
     */
    public synchronized List<MemorySlot> slots() {
        return List.copyOf(slots.values());
    }

    void setRegion(int slot, int flags, long guestAddress, MemorySegment host) {
        Sys.write(fd, Ioctls.KVM_SET_USER_MEMORY_REGION, KvmUserspaceMemoryRegion.LAYOUT, struct ->
                KvmUserspaceMemoryRegion.set(struct, slot, flags, guestAddress, host.byteSize(), host.address()));
    }

    synchronized void forget(MemorySlot slot) {
        slots.remove(slot.slot());
    }

    /**
     * KVM_SET_TSS_ADDR: three pages of guest physical space KVM needs on Intel for real mode.
     *
     * @param guestAddress guest physical address of the three pages
     */
    public void setTssAddress(long guestAddress) {
        Sys.ioctl(fd, Ioctls.KVM_SET_TSS_ADDR, guestAddress);
    }

    /**
     * KVM_SET_IDENTITY_MAP_ADDR: one page of guest physical space KVM needs on Intel for the
     * identity page table of unpaged protected mode. Call before creating vCPUs.
     *
     * @param guestAddress a page-aligned guest physical address outside RAM
     */
    public void setIdentityMapAddress(long guestAddress) {
        Sys.write(fd, Ioctls.KVM_SET_IDENTITY_MAP_ADDR, JAVA_LONG, struct -> struct.set(JAVA_LONG, 0, guestAddress));
    }

    /** KVM_CREATE_IRQCHIP: in-kernel PIC pair, IOAPIC and a LAPIC per vCPU. Call before creating vCPUs. */
    public void createIrqchip() {
        Sys.ioctl(fd, Ioctls.KVM_CREATE_IRQCHIP, 0L);
        irqchip = true;
    }

    /** KVM_CREATE_PIT2: the in-kernel i8254 timer (needs the irqchip), with the dummy speaker port. */
    public void createPit2() {
        Sys.write(fd, Ioctls.KVM_CREATE_PIT2, KvmPitState2.CONFIG,
                struct -> struct.set(JAVA_INT, 0, KvmConstants.KVM_PIT_SPEAKER_DUMMY));
        pit = true;
    }

    /**
     * KVM_IRQ_LINE: drives interrupt line {@code irq} (a GSI of the in-kernel irqchip) high or low.
     *
     * @param irq the GSI
     * @param high the line's level
     */
    public void irqLine(int irq, boolean high) {
        Sys.write(fd, Ioctls.KVM_IRQ_LINE, KvmIrqLevel.LAYOUT, struct -> {
            struct.set(JAVA_INT, 0, irq);
            struct.set(JAVA_INT, 4, high ? 1 : 0);
        });
    }

    /**
     * KVM_GET_IRQCHIP for {@code chipId} (KVM_IRQCHIP_PIC_MASTER 0, PIC_SLAVE 1, IOAPIC 2).
     *
     * @param chipId 0, 1 or 2
     * @return the chip's state
     */
    public Irqchip getIrqchip(int chipId) {
        return Sys.call(fd, Ioctls.KVM_GET_IRQCHIP, KvmIrqchip.LAYOUT, struct -> struct.set(JAVA_INT, 0, chipId),
                struct -> new Irqchip(StructBytes.copyOf(struct)));
    }

    /**
     * KVM_SET_IRQCHIP: restores the chip named by the state's chip_id.
     *
     * @param state from {@link #getIrqchip}
     */
    public void setIrqchip(Irqchip state) {
        Sys.writeBytes(fd, Ioctls.KVM_SET_IRQCHIP, KvmIrqchip.LAYOUT.byteSize(), state.bytes(), "Irqchip");
    }

    /**
     * KVM_GET_PIT2.
     *
     * @return the PIT's state
     */
    public Pit2 getPit2() {
        return new Pit2(Sys.readBytes(fd, Ioctls.KVM_GET_PIT2, KvmPitState2.LAYOUT.byteSize()));
    }

    /**
     * KVM_SET_PIT2.
     *
     * @param state from {@link #getPit2}
     */
    public void setPit2(Pit2 state) {
        Sys.writeBytes(fd, Ioctls.KVM_SET_PIT2, KvmPitState2.LAYOUT.byteSize(), state.bytes(), "Pit2");
    }

    /**
     * KVM_GET_CLOCK.
     *
     * @return the kvmclock's state
     */
    public ClockData getClock() {
        return Sys.read(fd, Ioctls.KVM_GET_CLOCK, KvmClockData.LAYOUT, struct -> new ClockData(KvmClockData.clock(struct),
                KvmClockData.flags(struct), KvmClockData.realtime(struct), KvmClockData.hostTsc(struct)));
    }

    /**
     * KVM_SET_CLOCK; only the KVM_CLOCK_REALTIME flag is passed on (the others are read-only).
     *
     * @param state from {@link #getClock}, maybe of another host
     */
    public void setClock(ClockData state) {
        Sys.write(fd, Ioctls.KVM_SET_CLOCK, KvmClockData.LAYOUT, struct -> KvmClockData.set(struct, state.clock(),
                state.flags() & KvmConstants.KVM_CLOCK_REALTIME, state.realtime()));
    }

    /**
     * The state of the in-kernel devices this VM has, and the clock when the host can adjust it.
     *
     * @return the state
     */
    public VmState saveState() {
        List<Irqchip> chips = new ArrayList<>();
        if (irqchip) {
            for (int chip : IRQCHIPS) {
                chips.add(getIrqchip(chip));
            }
        }
        return new VmState(chips, pit ? getPit2() : null,
                kvm.has(Capability.ADJUST_CLOCK) ? getClock() : null);
    }

    /**
     * Restores a {@link #saveState()} result into this VM, which must have the same in-kernel devices.
     *
     * @param state from {@link #saveState()}, maybe of another host
     */
    public void restoreState(VmState state) {
        if (!state.irqchips().isEmpty() && !irqchip) {
            throw new IllegalStateException("the saved VM has an in-kernel irqchip: call createIrqchip() first");
        }
        if (state.pit() != null && !pit) {
            throw new IllegalStateException("the saved VM has an in-kernel PIT: call createPit2() first");
        }
        state.irqchips().forEach(this::setIrqchip);
        if (state.pit() != null) {
            setPit2(state.pit());
        }
        if (state.clock() != null) {
            setClock(state.clock());
        }
    }

    /**
     * KVM_IOEVENTFD: a guest write of {@code length} bytes at {@code address} (an I/O port when
     * {@code pio}, else guest physical MMIO) signals {@code event} inside KVM, without an exit to
     * the VMM; with {@code datamatch} only writes of that value do.
     *
     * @param event the eventfd to signal
     * @param pio true for an I/O port, false for MMIO
     * @param address the port or guest physical address
     * @param length bytes of the write: 1, 2, 4 or 8, or 0 for any
     * @param datamatch the value to match, or empty for any
     */
    public void assignIoeventfd(EventFd event, boolean pio, long address, int length, OptionalLong datamatch) {
        ioeventfd(event, pio, address, length, datamatch, 0);
    }

    /**
     * Undoes {@link #assignIoeventfd} with the same arguments.
     *
     * @param event the eventfd given to assign
     * @param pio as given to assign
     * @param address as given to assign
     * @param length as given to assign
     * @param datamatch as given to assign
     */
    public void deassignIoeventfd(EventFd event, boolean pio, long address, int length, OptionalLong datamatch) {
        ioeventfd(event, pio, address, length, datamatch, KvmConstants.KVM_IOEVENTFD_FLAG_DEASSIGN);
    }

    private void ioeventfd(EventFd event, boolean pio, long address, int length, OptionalLong datamatch, int flags) {
        int all = flags | (pio ? KvmConstants.KVM_IOEVENTFD_FLAG_PIO : 0)
                | (datamatch.isPresent() ? KvmConstants.KVM_IOEVENTFD_FLAG_DATAMATCH : 0);
        Sys.write(fd, Ioctls.KVM_IOEVENTFD, KvmIoeventfd.LAYOUT,
                struct -> KvmIoeventfd.ioeventfd(struct, datamatch.orElse(0), address, length, event.fd(), all));
    }

    /**
     * KVM_IRQFD: signalling {@code event} raises GSI {@code gsi} of the in-kernel irqchip.
     *
     * @param event the eventfd that raises the line
     * @param gsi the GSI
     */
    public void assignIrqfd(EventFd event, int gsi) {
        irqfd(event, gsi, 0);
    }

    /**
     * Undoes {@link #assignIrqfd}.
     *
     * @param event the eventfd given to assign
     * @param gsi the GSI given to assign
     */
    public void deassignIrqfd(EventFd event, int gsi) {
        irqfd(event, gsi, KvmConstants.KVM_IRQFD_FLAG_DEASSIGN);
    }

    private void irqfd(EventFd event, int gsi, int flags) {
        Sys.write(fd, Ioctls.KVM_IRQFD, KvmIoeventfd.IRQFD, struct -> KvmIoeventfd.irqfd(struct, event.fd(), gsi, flags));
    }

    /**
     * KVM_CREATE_VCPU with id {@code id}, its kvm_run mapped. Needs KVM_CAP_IMMEDIATE_EXIT (Linux
     * 4.11+): without it a {@link Vcpu#kick()} could be lost and a pause never end.
     *
     * @param id the vCPU id, unused in this VM
     * @return the vCPU; run it from one thread
     */
    public synchronized Vcpu createVcpu(int id) {
        kvm.require(Capability.IMMEDIATE_EXIT, "to stop vCPUs reliably (Linux 4.11 or later)");
        Vcpu vcpu = Vcpu.create(this, id, Sys.ioctl(fd, Ioctls.KVM_CREATE_VCPU, id));
        vcpus.add(vcpu);
        return vcpu;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Vcpu vcpu : vcpus) {
            vcpu.close();
        }
        vcpus.clear();
        slots.values().forEach(MemorySlot::release);
        slots.clear();
        Sys.close(fd, "VM fd");
    }
}
