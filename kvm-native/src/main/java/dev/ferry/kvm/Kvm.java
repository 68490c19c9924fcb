package dev.ferry.kvm;

import dev.ferry.kvm.bindings.Ioctl;
import dev.ferry.kvm.bindings.Ioctls;
import dev.ferry.kvm.bindings.KvmConstants;
import dev.ferry.kvm.bindings.KvmCpuid2;
import dev.ferry.kvm.bindings.KvmMsrList;
import dev.ferry.kvm.bindings.KvmMsrs;
import dev.ferry.kvm.bindings.LibC;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The KVM system fd ({@code /dev/kvm}): API version, capabilities, supported CPUID, the MSR list,
 * and the factory of {@link Vm}s. Thread-safe. Closing it does not close VMs created from it.
 */
public final class Kvm implements AutoCloseable {

    /** Where the KVM device lives. */
    public static final Path DEVICE = Path.of("/dev/kvm");

    private static final int E2BIG = 7;
    private static final int ENOENT = 2;
    private static final int EACCES = 13;
    private static final int EPERM = 1;

    private final int fd;
    private final int vcpuMmapSize;
    private final List<Integer> msrIndexList;
    /**
     * KVM_CHECK_EXTENSION's answers by capability ordinal, -1 until asked: they hold for this fd's
     * life, and a vCPU's save asks five times, each a system call (0.18 ms in a nested KVM). Threads
     * racing to fill a slot write the same value.
     */
    private final int[] checked = new int[Capability.values().length];
    private boolean closed;

    private Kvm(int fd) {
        this.fd = fd;
        Arrays.fill(checked, -1);
        this.vcpuMmapSize = Sys.ioctl(fd, Ioctls.KVM_GET_VCPU_MMAP_SIZE, 0L);
        this.msrIndexList = readMsrIndexList();
    }

    /**
     * Opens {@link #DEVICE}.
     *
     * @return the open device
     */
    public static Kvm open() {
        return open(DEVICE);
    }

    /**
     * Opens the KVM device at {@code device}, failing fast with the fix in the message when native
     * access is off for this module, the device is missing or not accessible, or its API version is
     * not {@value KvmConstants#KVM_API_VERSION}.
     *
     * @param device the KVM device file, usually {@code /dev/kvm}
     * @return the open device
     */
    public static Kvm open(Path device) {
        Module module = Kvm.class.getModule();
        if (!module.isNativeAccessEnabled()) {
            String name = module.isNamed() ? module.getName() : "ALL-UNNAMED";
            throw new IllegalStateException("native access is not enabled for " + name
                    + ": start java with --enable-native-access=" + name);
        }
        int fd;
        try (Arena arena = Arena.ofConfined()) {
            fd = LibC.open(arena.allocateFrom(device.toString()), LibC.O_RDWR | LibC.O_CLOEXEC, 0);
        }
        if (fd < 0) {
            int errno = LibC.errno();
            throw new KvmException("open(" + device + ")", errno, switch (errno) {
                case ENOENT -> "this host has no KVM; load kvm_intel, kvm_amd or kvm_pvm, or run on a host with "
                        + device;
                case EACCES, EPERM -> "no permission; add the user to the group owning " + device
                        + " (usually kvm) or run as root";
                default -> "";
            });
        }
        int version = LibC.ioctl(fd, Ioctls.KVM_GET_API_VERSION.request(), 0L);
        if (version < 0) {
            int errno = LibC.errno();
            LibC.close(fd);
            throw new KvmException(Ioctls.KVM_GET_API_VERSION.name() + " on " + device, errno, device + " is not a KVM device");
        }
        if (version != KvmConstants.KVM_API_VERSION) {
            LibC.close(fd);
            throw new IllegalStateException(device + " speaks KVM API " + version + ", Ferry needs "
                    + KvmConstants.KVM_API_VERSION);
        }
        try {
            return new Kvm(fd);
        } catch (RuntimeException e) {
            LibC.close(fd);
            throw e;
        }
    }

    /**
     * KVM_GET_API_VERSION: 12.
     *
     * @return the API version, always 12 once open
     */
    public int apiVersion() {
        return Sys.ioctl(fd, Ioctls.KVM_GET_API_VERSION, 0L);
    }

    /**
     * KVM_CHECK_EXTENSION: 0 when {@code capability} is absent, else 1 or its value.
     *
     * @param capability the capability to probe
     * @return KVM_CHECK_EXTENSION's value
     */
    public int check(Capability capability) {
        int value = checked[capability.ordinal()];
        if (value < 0) {
            value = Sys.ioctl(fd, Ioctls.KVM_CHECK_EXTENSION, capability.number());
            checked[capability.ordinal()] = value;
        }
        return value;
    }

    /**
     * True when {@code capability} is present.
     *
     * @param capability the capability to probe
     * @return true if KVM_CHECK_EXTENSION returns non-zero
     */
    public boolean has(Capability capability) {
        return check(capability) > 0;
    }

    /**
     * Fails with one line naming {@code capability} and what needs it when this host lacks it.
     *
     * @param capability the capability needed
     * @param neededFor what needs it, for the message
     */
    public void require(Capability capability, String neededFor) {
        Capability.require(capability, check(capability), neededFor);
    }

    /**
     * Bytes of a vCPU's kvm_run mapping (KVM_GET_VCPU_MMAP_SIZE).
     *
     * @return bytes to map per vCPU
     */
    public int vcpuMmapSize() {
        return vcpuMmapSize;
    }

    /**
     * The MSRs KVM can save and restore (KVM_GET_MSR_INDEX_LIST).
     *
     * @return MSR indices, in KVM's order
     */
    public List<Integer> msrIndexList() {
        return msrIndexList;
    }

    /**
     * The CPUID leaves KVM can give a guest (KVM_GET_SUPPORTED_CPUID), for {@link Vcpu#setCpuid}.
     *
     * @return the leaves, each with the host's supported bits
     */
    public List<CpuidEntry> supportedCpuid() {
        for (int capacity = 128; ; capacity *= 2) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment cpuid = KvmCpuid2.allocate(arena, capacity);
                if (LibC.ioctl(fd, Ioctls.KVM_GET_SUPPORTED_CPUID.request(), cpuid) < 0) {
                    int errno = LibC.errno();
                    if (errno == E2BIG && capacity < 4096) {
                        continue;
                    }
                    throw new KvmException(Ioctls.KVM_GET_SUPPORTED_CPUID.name(), errno);
                }
                List<CpuidEntry> entries = new ArrayList<>();
                for (int i = 0; i < KvmCpuid2.nent(cpuid); i++) {
                    int[] w = new int[KvmCpuid2.ENTRY_WORDS];
                    for (int j = 0; j < w.length; j++) {
                        w[j] = KvmCpuid2.word(cpuid, i, j);
                    }
                    entries.add(new CpuidEntry(w[0], w[1], w[2], w[3], w[4], w[5], w[6]));
                }
                return List.copyOf(entries);
            }
        }
    }

    /**
     * The feature MSRs (KVM_GET_MSR_FEATURE_INDEX_LIST) with the values this host offers (KVM_GET_MSRS
     * on the system fd): what a vCPU is given after its CPUID, as QEMU does. Empty without
     * KVM_CAP_GET_MSR_FEATURES.
     *
     * @return MSR indices and values, maybe empty
     */
    public List<Msr> featureMsrs() {
        if (!has(Capability.GET_MSR_FEATURES)) {
            return List.of();
        }
        List<Msr> values = new ArrayList<>();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment one = KvmMsrs.allocate(arena, 1);
            for (int index : readIndexList(Ioctls.KVM_GET_MSR_FEATURE_INDEX_LIST)) {
                KvmMsrs.entry(one, 0, index, 0);
                // KVM_GET_MSRS returns how many it read: a feature MSR this host cannot report is left out.
                if (LibC.ioctl(fd, Ioctls.KVM_GET_MSRS.request(), one) == 1) {
                    values.add(new Msr(index, KvmMsrs.data(one, 0)));
                }
            }
        }
        return List.copyOf(values);
    }

    private List<Integer> readMsrIndexList() {
        return readIndexList(Ioctls.KVM_GET_MSR_INDEX_LIST);
    }

    private List<Integer> readIndexList(Ioctl ioctl) {
        try (Arena arena = Arena.ofConfined()) {
            // The first call with room for none fails with E2BIG and says how many there are.
            MemorySegment probe = KvmMsrList.allocate(arena, 0);
            if (LibC.ioctl(fd, ioctl.request(), probe) == 0) {
                return List.of();
            }
            int errno = LibC.errno();
            if (errno != E2BIG) {
                throw new KvmException(ioctl.name(), errno);
            }
            MemorySegment list = KvmMsrList.allocate(arena, KvmMsrList.nmsrs(probe));
            Sys.ioctl(fd, ioctl, list);
            List<Integer> indices = new ArrayList<>();
            for (int i = 0; i < KvmMsrList.nmsrs(list); i++) {
                indices.add(KvmMsrList.index(list, i));
            }
            return List.copyOf(indices);
        }
    }

    /**
     * Which capabilities and state kinds this host supports; nothing is assumed, nothing thrown for absences.
     *
     * @return what this host supports
     */
    public HostSupport probe() {
        Map<Capability, Integer> caps = new EnumMap<>(Capability.class);
        for (Capability capability : Capability.values()) {
            caps.put(capability, check(capability));
        }
        Set<StateKind> states = EnumSet.of(StateKind.REGS, StateKind.SREGS, StateKind.FPU, StateKind.MSRS,
                StateKind.CPUID);
        addIf(states, caps, Capability.XSAVE, StateKind.XSAVE);
        addIf(states, caps, Capability.XCRS, StateKind.XCRS);
        addIf(states, caps, Capability.MP_STATE, StateKind.MP_STATE);
        addIf(states, caps, Capability.VCPU_EVENTS, StateKind.VCPU_EVENTS);
        addIf(states, caps, Capability.DEBUGREGS, StateKind.DEBUGREGS);
        addIf(states, caps, Capability.IRQCHIP, StateKind.LAPIC);
        addIf(states, caps, Capability.IRQCHIP, StateKind.IRQCHIP);
        addIf(states, caps, Capability.ADJUST_CLOCK, StateKind.CLOCK);
        if (caps.get(Capability.PIT_STATE2) > 0) {
            addIf(states, caps, Capability.PIT2, StateKind.PIT2);
        }
        return new HostSupport(apiVersion(), caps, states, vcpuMmapSize, msrIndexList.size());
    }

    private static void addIf(Set<StateKind> states, Map<Capability, Integer> caps, Capability cap, StateKind kind) {
        if (caps.get(cap) > 0) {
            states.add(kind);
        }
    }

    /**
     * A new, empty VM (KVM_CREATE_VM, default machine type).
     *
     * @return the new VM; close it to free its memory slots and vCPUs
     */
    public Vm createVm() {
        return new Vm(this, Sys.ioctl(fd, Ioctls.KVM_CREATE_VM, 0L));
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            Sys.close(fd, DEVICE.toString());
        }
    }
}
