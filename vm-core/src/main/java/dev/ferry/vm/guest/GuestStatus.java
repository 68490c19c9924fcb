package dev.ferry.vm.guest;

import dev.ferry.vm.memory.GuestMemory;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A copy of the guest's status block: counters the guest keeps up to date so the VMM can watch
 * it without exits. Fields are read one by one while the guest runs, so they are each current
 * but not a consistent set unless the vCPU is paused.
 *
 * @param valid whether the block carries the guest's magic: false before the guest first wrote it
 * @param state where the guest is, PANIC for a state number it does not know
 * @param iterations turns of the guest's main loop
 * @param pagesWritten RAM pages the memory workload rewrote
 * @param blocksWritten disk blocks written
 * @param blocksRead disk blocks read back and checked
 * @param blocksVerified blocks checked by verify commands
 * @param errors blocks or pages that failed a check
 * @param memChecksum sum of the written pages' fingerprints, mod 2^64
 * @param diskChecksum sum of the written blocks' fingerprints, mod 2^64
 * @param commandDone the sequence number of the last finished command
 * @param lastVerify outcome of the last verify: 0 none, 1 ok, 2 failed
 * @param heartbeatTsc the guest's TSC at its last loop turn
 * @param panicVector the exception vector of a panic
 * @param panicRip the instruction pointer of a panic
 */
public record GuestStatus(boolean valid, State state, long iterations, long pagesWritten,
                          long blocksWritten, long blocksRead, long blocksVerified, long errors,
                          long memChecksum, long diskChecksum, int commandDone, int lastVerify,
                          long heartbeatTsc, long panicVector, long panicRip) {

    /** Where the guest is, as it says itself. */
    public enum State {
        /** Setting up, not yet ready. */
        BOOTING,
        /** Running its workloads. */
        RUNNING,
        /** Checking every page and block it wrote. */
        VERIFYING,
        /** Stopped on a STOP command, disk flushed. */
        STOPPED,
        /** Took an exception it cannot handle; see the panic fields. */
        PANIC,
        /** Refused its config block. */
        CONFIG_ERROR
    }

    private static final long MAGIC = 0x4154535952524546L; // "FERRYSTA"

    /**
     * Reads the status block of a running or paused guest, field by field.
     *
     * @param memory the guest's RAM
     * @param image the guest image, which says where the block is
     * @return the status now
     */
    public static GuestStatus read(GuestMemory memory, GuestImage image) {
        MemorySegment s = memory.slice(image.statusAddress(), 0x80);
        int state = s.get(ValueLayout.JAVA_INT_UNALIGNED, 0x0c);
        State[] states = State.values();
        return new GuestStatus(
                s.get(ValueLayout.JAVA_LONG_UNALIGNED, 0) == MAGIC,
                state >= 0 && state < states.length ? states[state] : State.PANIC,
                u64(s, 0x10), u64(s, 0x18), u64(s, 0x20), u64(s, 0x28), u64(s, 0x30), u64(s, 0x38),
                u64(s, 0x40), u64(s, 0x48), s.get(ValueLayout.JAVA_INT_UNALIGNED, 0x50),
                s.get(ValueLayout.JAVA_INT_UNALIGNED, 0x54), u64(s, 0x58), u64(s, 0x60), u64(s, 0x68));
    }

    private static long u64(MemorySegment s, long offset) {
        return s.get(ValueLayout.JAVA_LONG_UNALIGNED, offset);
    }
}
