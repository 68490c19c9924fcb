package dev.ferry.vm.cpu;

/**
 * Why a vCPU stopped the machine.
 *
 * @param failed true for a crash (triple fault, KVM error, guest panic), false for an orderly end
 *     (the guest asked to stop, or halted with interrupts off)
 * @param reason one line for the log and the monitor
 */
public record VcpuStop(boolean failed, String reason) {

    public static VcpuStop shutdown(String reason) {
        return new VcpuStop(false, reason);
    }

    public static VcpuStop failure(String reason) {
        return new VcpuStop(true, reason);
    }
}
