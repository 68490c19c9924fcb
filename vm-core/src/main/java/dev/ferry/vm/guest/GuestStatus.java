package dev.ferry.vm.guest;

import dev.ferry.vm.memory.GuestMemory;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A copy of the guest's status block: counters the guest keeps up to date so the VMM can watch
 * it without exits. Fields are read one by one while the guest runs, so they are each current
 * but not a consistent set unless the vCPU is paused.
 */
public record GuestStatus(boolean valid, State state, long iterations, long pagesWritten,
                          long blocksWritten, long blocksRead, long blocksVerified, long errors,
                          long memChecksum, long diskChecksum, int commandDone, int lastVerify,
                          long heartbeatTsc, long panicVector, long panicRip) {

    /** Where the guest is, as it says itself. */
    public enum State { BOOTING, RUNNING, VERIFYING, STOPPED, PANIC, CONFIG_ERROR }

    private static final long MAGIC = 0x4154535952524546L; // "FERRYSTA"

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
