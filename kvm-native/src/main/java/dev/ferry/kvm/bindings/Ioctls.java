package dev.ferry.kvm.bindings;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * KVM ioctl request numbers, computed as the kernel's {@code _IO/_IOR/_IOW/_IOWR} macros do from
 * KVMIO (0xAE), the command number and the argument's size. Grouped by the fd they apply to.
 */
public final class Ioctls {

    private static final int KVMIO = 0xAE;
    private static final int NONE = 0;
    private static final int WRITE = 1;
    private static final int READ = 2;
    private static final List<Ioctl> ALL_MUTABLE = new ArrayList<>();

    // System fd (/dev/kvm).
    public static final Ioctl KVM_GET_API_VERSION = io("KVM_GET_API_VERSION", 0x00);
    public static final Ioctl KVM_CREATE_VM = io("KVM_CREATE_VM", 0x01);
    public static final Ioctl KVM_GET_MSR_INDEX_LIST = iowr("KVM_GET_MSR_INDEX_LIST", 0x02, KvmMsrList.LAYOUT.byteSize());
    public static final Ioctl KVM_CHECK_EXTENSION = io("KVM_CHECK_EXTENSION", 0x03);
    public static final Ioctl KVM_GET_VCPU_MMAP_SIZE = io("KVM_GET_VCPU_MMAP_SIZE", 0x04);
    public static final Ioctl KVM_GET_SUPPORTED_CPUID = iowr("KVM_GET_SUPPORTED_CPUID", 0x05, KvmCpuid2.LAYOUT.byteSize());
    public static final Ioctl KVM_GET_MSR_FEATURE_INDEX_LIST =
            iowr("KVM_GET_MSR_FEATURE_INDEX_LIST", 0x0a, KvmMsrList.LAYOUT.byteSize());

    // VM fd.
    public static final Ioctl KVM_CREATE_VCPU = io("KVM_CREATE_VCPU", 0x41);
    public static final Ioctl KVM_GET_DIRTY_LOG = iow("KVM_GET_DIRTY_LOG", 0x42, KvmDirtyLog.LAYOUT.byteSize());
    public static final Ioctl KVM_SET_USER_MEMORY_REGION =
            iow("KVM_SET_USER_MEMORY_REGION", 0x46, KvmUserspaceMemoryRegion.LAYOUT.byteSize());
    public static final Ioctl KVM_SET_TSS_ADDR = io("KVM_SET_TSS_ADDR", 0x47);
    public static final Ioctl KVM_SET_IDENTITY_MAP_ADDR = iow("KVM_SET_IDENTITY_MAP_ADDR", 0x48, Long.BYTES);
    public static final Ioctl KVM_CREATE_IRQCHIP = io("KVM_CREATE_IRQCHIP", 0x60);
    public static final Ioctl KVM_IRQ_LINE = iow("KVM_IRQ_LINE", 0x61, KvmIrqLevel.LAYOUT.byteSize());
    public static final Ioctl KVM_GET_IRQCHIP = iowr("KVM_GET_IRQCHIP", 0x62, KvmIrqchip.LAYOUT.byteSize());
    public static final Ioctl KVM_SET_IRQCHIP = ior("KVM_SET_IRQCHIP", 0x63, KvmIrqchip.LAYOUT.byteSize());
    public static final Ioctl KVM_IRQFD = iow("KVM_IRQFD", 0x76, KvmIoeventfd.IRQFD.byteSize());
    public static final Ioctl KVM_CREATE_PIT2 = iow("KVM_CREATE_PIT2", 0x77, KvmPitState2.CONFIG.byteSize());
    public static final Ioctl KVM_IOEVENTFD = iow("KVM_IOEVENTFD", 0x79, KvmIoeventfd.LAYOUT.byteSize());
    public static final Ioctl KVM_SET_CLOCK = iow("KVM_SET_CLOCK", 0x7b, KvmClockData.LAYOUT.byteSize());
    public static final Ioctl KVM_GET_CLOCK = ior("KVM_GET_CLOCK", 0x7c, KvmClockData.LAYOUT.byteSize());
    public static final Ioctl KVM_GET_PIT2 = ior("KVM_GET_PIT2", 0x9f, KvmPitState2.LAYOUT.byteSize());
    public static final Ioctl KVM_SET_PIT2 = iow("KVM_SET_PIT2", 0xa0, KvmPitState2.LAYOUT.byteSize());
    public static final Ioctl KVM_CLEAR_DIRTY_LOG = iowr("KVM_CLEAR_DIRTY_LOG", 0xc0, KvmDirtyLog.CLEAR.byteSize());

    // VM or vCPU fd.
    public static final Ioctl KVM_ENABLE_CAP = iow("KVM_ENABLE_CAP", 0xa3, KvmEnableCap.LAYOUT.byteSize());

    // vCPU fd.
    public static final Ioctl KVM_RUN = io("KVM_RUN", 0x80);
    public static final Ioctl KVM_GET_REGS = ior("KVM_GET_REGS", 0x81, KvmRegs.LAYOUT.byteSize());
    public static final Ioctl KVM_SET_REGS = iow("KVM_SET_REGS", 0x82, KvmRegs.LAYOUT.byteSize());
    public static final Ioctl KVM_GET_SREGS = ior("KVM_GET_SREGS", 0x83, KvmSregs.LAYOUT.byteSize());
    public static final Ioctl KVM_SET_SREGS = iow("KVM_SET_SREGS", 0x84, KvmSregs.LAYOUT.byteSize());
    public static final Ioctl KVM_INTERRUPT = iow("KVM_INTERRUPT", 0x86, KvmIrqLevel.INTERRUPT.byteSize());
    public static final Ioctl KVM_GET_MSRS = iowr("KVM_GET_MSRS", 0x88, KvmMsrs.LAYOUT.byteSize());
    public static final Ioctl KVM_SET_MSRS = iow("KVM_SET_MSRS", 0x89, KvmMsrs.LAYOUT.byteSize());
    public static final Ioctl KVM_GET_FPU = ior("KVM_GET_FPU", 0x8c, KvmFpu.LAYOUT.byteSize());
    public static final Ioctl KVM_SET_FPU = iow("KVM_SET_FPU", 0x8d, KvmFpu.LAYOUT.byteSize());
    public static final Ioctl KVM_GET_LAPIC = ior("KVM_GET_LAPIC", 0x8e, KvmLapicState.LAYOUT.byteSize());
    public static final Ioctl KVM_SET_LAPIC = iow("KVM_SET_LAPIC", 0x8f, KvmLapicState.LAYOUT.byteSize());
    public static final Ioctl KVM_SET_CPUID2 = iow("KVM_SET_CPUID2", 0x90, KvmCpuid2.LAYOUT.byteSize());
    public static final Ioctl KVM_GET_CPUID2 = iowr("KVM_GET_CPUID2", 0x91, KvmCpuid2.LAYOUT.byteSize());
    public static final Ioctl KVM_GET_MP_STATE = ior("KVM_GET_MP_STATE", 0x98, KvmMpState.LAYOUT.byteSize());
    public static final Ioctl KVM_SET_MP_STATE = iow("KVM_SET_MP_STATE", 0x99, KvmMpState.LAYOUT.byteSize());
    public static final Ioctl KVM_NMI = io("KVM_NMI", 0x9a);
    public static final Ioctl KVM_GET_VCPU_EVENTS = ior("KVM_GET_VCPU_EVENTS", 0x9f, KvmVcpuEvents.LAYOUT.byteSize());
    public static final Ioctl KVM_SET_VCPU_EVENTS = iow("KVM_SET_VCPU_EVENTS", 0xa0, KvmVcpuEvents.LAYOUT.byteSize());
    public static final Ioctl KVM_SET_TSC_KHZ = io("KVM_SET_TSC_KHZ", 0xa2);
    public static final Ioctl KVM_GET_TSC_KHZ = io("KVM_GET_TSC_KHZ", 0xa3);
    public static final Ioctl KVM_GET_DEBUGREGS = ior("KVM_GET_DEBUGREGS", 0xa1, KvmDebugregs.LAYOUT.byteSize());
    public static final Ioctl KVM_SET_DEBUGREGS = iow("KVM_SET_DEBUGREGS", 0xa2, KvmDebugregs.LAYOUT.byteSize());
    public static final Ioctl KVM_GET_XSAVE = ior("KVM_GET_XSAVE", 0xa4, KvmXsave.LAYOUT.byteSize());
    public static final Ioctl KVM_SET_XSAVE = iow("KVM_SET_XSAVE", 0xa5, KvmXsave.LAYOUT.byteSize());
    public static final Ioctl KVM_GET_XCRS = ior("KVM_GET_XCRS", 0xa6, KvmXcrs.LAYOUT.byteSize());
    public static final Ioctl KVM_SET_XCRS = iow("KVM_SET_XCRS", 0xa7, KvmXcrs.LAYOUT.byteSize());
    public static final Ioctl KVM_KVMCLOCK_CTRL = io("KVM_KVMCLOCK_CTRL", 0xad);
    public static final Ioctl KVM_GET_XSAVE2 = ior("KVM_GET_XSAVE2", 0xcf, KvmXsave.LAYOUT.byteSize());

    /** Every ioctl above, for the header check. */
    public static final List<Ioctl> ALL = Collections.unmodifiableList(ALL_MUTABLE);

    private Ioctls() {
    }

    private static Ioctl io(String name, int nr) {
        return request(name, NONE, nr, 0);
    }

    private static Ioctl ior(String name, int nr, long size) {
        return request(name, READ, nr, size);
    }

    private static Ioctl iow(String name, int nr, long size) {
        return request(name, WRITE, nr, size);
    }

    private static Ioctl iowr(String name, int nr, long size) {
        return request(name, READ | WRITE, nr, size);
    }

    // _IOC(dir, type, nr, size): dir in bits 30-31, size in 16-29, type in 8-15, nr in 0-7.
    private static Ioctl request(String name, int dir, int nr, long size) {
        if (size >= 1 << 14) {
            throw new IllegalArgumentException(name + ": argument size " + size + " does not fit _IOC");
        }
        Ioctl ioctl = new Ioctl(name, ((long) dir << 30) | (size << 16) | ((long) KVMIO << 8) | nr);
        ALL_MUTABLE.add(ioctl);
        return ioctl;
    }
}
