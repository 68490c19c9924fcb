package dev.ferry.kvm;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * Why {@link Vcpu#run()} returned. The {@code data} segments of I/O and MMIO exits are views into
 * the vCPU's kvm_run mapping, valid until the next run: a device reads what the guest wrote from
 * them, or writes what the guest reads into them before the next run.
 */
public sealed interface VcpuExit {

    /**
     * The guest read {@code count} × {@code size} bytes from I/O port {@code port}; fill {@code data}.
     *
     * @param port the I/O port
     * @param size bytes per access: 1, 2 or 4
     * @param count accesses (more than 1 for a string instruction)
     * @param data {@code count * size} bytes inside kvm_run, valid until the next run
     */
    record IoIn(int port, int size, int count, MemorySegment data) implements VcpuExit {
    }

    /**
     * The guest wrote {@code count} × {@code size} bytes in {@code data} to I/O port {@code port}.
     *
     * @param port the I/O port
     * @param size bytes per access: 1, 2 or 4
     * @param count accesses (more than 1 for a string instruction)
     * @param data {@code count * size} bytes inside kvm_run, valid until the next run
     */
    record IoOut(int port, int size, int count, MemorySegment data) implements VcpuExit {
    }

    /**
     * The guest read {@code data.byteSize()} bytes at guest physical {@code address}; fill {@code data}.
     *
     * @param address guest physical address
     * @param data the bytes to fill, inside kvm_run, valid until the next run
     */
    record MmioRead(long address, MemorySegment data) implements VcpuExit {
    }

    /**
     * The guest wrote {@code data} at guest physical {@code address}.
     *
     * @param address guest physical address
     * @param data the bytes written, inside kvm_run, valid until the next run
     */
    record MmioWrite(long address, MemorySegment data) implements VcpuExit {
    }

    /** The guest executed HLT (only without an in-kernel irqchip; with one KVM waits in the kernel). */
    record Hlt() implements VcpuExit {
    }

    /** The guest triple-faulted: the machine resets or stops. */
    record Shutdown() implements VcpuExit {
    }

    /**
     * The hardware refused to enter the guest; {@code reason} is its code (e.g. VMX exit reason).
     *
     * @param reason the hardware's entry-failure code
     * @param cpu the host CPU the entry was tried on
     */
    record FailEntry(long reason, int cpu) implements VcpuExit {
    }

    /**
     * KVM could not continue, e.g. it failed to emulate an instruction ({@code suberror} 1).
     *
     * @param suberror KVM_INTERNAL_ERROR_* code
     * @param data extra words KVM reported, maybe empty
     */
    record InternalError(int suberror, List<Long> data) implements VcpuExit {

        /**
         * What {@code suberror} means, in the words of linux/kvm.h's KVM_INTERNAL_ERROR_* comments.
         *
         * @return e.g. "instruction emulation failed", or "suberror N" for a code KVM added later
         */
        public String meaning() {
            return switch (suberror) {
                case 1 -> "instruction emulation failed";
                case 2 -> "simultaneous exceptions";
                case 3 -> "exit while delivering an event";
                case 4 -> "unexpected exit reason";
                default -> "suberror " + suberror;
            };
        }
    }

    /**
     * A platform event: {@code type} is KVM_SYSTEM_EVENT_SHUTDOWN (1), RESET (2), CRASH (3), ...
     *
     * @param type KVM_SYSTEM_EVENT_* code
     * @param data extra words KVM reported, maybe empty
     */
    record SystemEvent(int type, List<Long> data) implements VcpuExit {
    }

    /** KVM_RUN returned early for a signal or {@link Vcpu#kick()}: the guest is stopped, resumable. */
    record Interrupted() implements VcpuExit {
    }

    /**
     * An exit reason Ferry does not handle, with KVM's number (hardware reason for KVM_EXIT_UNKNOWN).
     *
     * @param reason KVM's exit reason
     * @param hardwareReason the hardware's exit reason, for KVM_EXIT_UNKNOWN; else 0
     */
    record Unknown(int reason, long hardwareReason) implements VcpuExit {
    }
}
