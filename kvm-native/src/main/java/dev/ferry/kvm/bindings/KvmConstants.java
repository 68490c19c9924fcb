package dev.ferry.kvm.bindings;

/** Constants of {@code <linux/kvm.h>} and {@code <asm/kvm.h>} Ferry uses, under the header's names. */
public final class KvmConstants {

    public static final int KVM_API_VERSION = 12;

    // Capabilities (KVM_CHECK_EXTENSION).
    public static final int KVM_CAP_IRQCHIP = 0;
    public static final int KVM_CAP_HLT = 1;
    public static final int KVM_CAP_USER_MEMORY = 3;
    public static final int KVM_CAP_SET_TSS_ADDR = 4;
    public static final int KVM_CAP_EXT_CPUID = 7;
    public static final int KVM_CAP_NR_VCPUS = 9;
    public static final int KVM_CAP_NR_MEMSLOTS = 10;
    public static final int KVM_CAP_MP_STATE = 14;
    public static final int KVM_CAP_SYNC_MMU = 16;
    public static final int KVM_CAP_USER_NMI = 22;
    public static final int KVM_CAP_IRQ_ROUTING = 25;
    public static final int KVM_CAP_IRQFD = 32;
    public static final int KVM_CAP_PIT2 = 33;
    public static final int KVM_CAP_PIT_STATE2 = 35;
    public static final int KVM_CAP_IOEVENTFD = 36;
    public static final int KVM_CAP_SET_IDENTITY_MAP_ADDR = 37;
    public static final int KVM_CAP_ADJUST_CLOCK = 39;
    public static final int KVM_CAP_INTERNAL_ERROR_DATA = 40;
    public static final int KVM_CAP_VCPU_EVENTS = 41;
    public static final int KVM_CAP_DEBUGREGS = 50;
    public static final int KVM_CAP_XSAVE = 55;
    public static final int KVM_CAP_XCRS = 56;
    public static final int KVM_CAP_TSC_CONTROL = 60;
    public static final int KVM_CAP_GET_TSC_KHZ = 61;
    public static final int KVM_CAP_MAX_VCPUS = 66;
    public static final int KVM_CAP_TSC_DEADLINE_TIMER = 72;
    public static final int KVM_CAP_KVMCLOCK_CTRL = 76;
    public static final int KVM_CAP_SIGNAL_MSI = 77;
    public static final int KVM_CAP_READONLY_MEM = 81;
    public static final int KVM_CAP_IOEVENTFD_ANY_LENGTH = 122;
    public static final int KVM_CAP_IMMEDIATE_EXIT = 136;
    public static final int KVM_CAP_GET_MSR_FEATURES = 153;
    public static final int KVM_CAP_NESTED_STATE = 157;
    public static final int KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 = 168;
    public static final int KVM_CAP_DIRTY_LOG_RING = 192;
    public static final int KVM_CAP_SREGS2 = 200;
    public static final int KVM_CAP_XSAVE2 = 208;

    // Exit reasons (kvm_run.exit_reason).
    public static final int KVM_EXIT_UNKNOWN = 0;
    public static final int KVM_EXIT_EXCEPTION = 1;
    public static final int KVM_EXIT_IO = 2;
    public static final int KVM_EXIT_HYPERCALL = 3;
    public static final int KVM_EXIT_DEBUG = 4;
    public static final int KVM_EXIT_HLT = 5;
    public static final int KVM_EXIT_MMIO = 6;
    public static final int KVM_EXIT_IRQ_WINDOW_OPEN = 7;
    public static final int KVM_EXIT_SHUTDOWN = 8;
    public static final int KVM_EXIT_FAIL_ENTRY = 9;
    public static final int KVM_EXIT_INTR = 10;
    public static final int KVM_EXIT_INTERNAL_ERROR = 17;
    public static final int KVM_EXIT_SYSTEM_EVENT = 24;
    public static final int KVM_EXIT_IO_IN = 0;
    public static final int KVM_EXIT_IO_OUT = 1;

    // Memory slots and dirty logging.
    public static final int KVM_MEM_LOG_DIRTY_PAGES = 1;
    public static final int KVM_MEM_READONLY = 2;
    public static final int KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE = 1;
    public static final int KVM_DIRTY_LOG_INITIALLY_SET = 2;

    // Interrupt controllers, eventfds, clock.
    public static final int KVM_IRQCHIP_PIC_MASTER = 0;
    public static final int KVM_IRQCHIP_PIC_SLAVE = 1;
    public static final int KVM_IRQCHIP_IOAPIC = 2;
    public static final int KVM_PIT_SPEAKER_DUMMY = 1;
    public static final int KVM_IOEVENTFD_FLAG_DATAMATCH = 1;
    public static final int KVM_IOEVENTFD_FLAG_PIO = 2;
    public static final int KVM_IOEVENTFD_FLAG_DEASSIGN = 4;
    public static final int KVM_IRQFD_FLAG_DEASSIGN = 1;
    public static final int KVM_CLOCK_TSC_STABLE = 2;
    public static final int KVM_CLOCK_REALTIME = 4;
    public static final int KVM_CLOCK_HOST_TSC = 8;

    // Which kvm_vcpu_events fields KVM_SET_VCPU_EVENTS takes (flags).
    public static final int KVM_VCPUEVENT_VALID_NMI_PENDING = 1;
    public static final int KVM_VCPUEVENT_VALID_SIPI_VECTOR = 2;
    public static final int KVM_VCPUEVENT_VALID_SHADOW = 4;
    public static final int KVM_VCPUEVENT_VALID_SMM = 8;

    // MP states.
    public static final int KVM_MP_STATE_RUNNABLE = 0;
    public static final int KVM_MP_STATE_HALTED = 3;

    private KvmConstants() {
    }
}
