package dev.ferry.vm;

import dev.ferry.savevm.Phase;
import dev.ferry.savevm.codec.StateCodec;
import dev.ferry.vm.state.MachineConfig;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Runs a destination's check of the source's machine shape ({@link Machine#accept}) once before a
 * migration arrives, against this machine's own configuration sent through the wire codec and
 * back: equal to it, so nothing changes, but decoded into fresh records, so that every comparison
 * runs as it will for a source. Cold, that check took 1.1 s of a Linux guest's migration in the
 * nested KVM (2026-12-06), most of it linking the guest CPUID records' {@code equals} on first
 * use, while the source waited for the answer.
 */
public final class AcceptRehearsal {

    private AcceptRehearsal() {
    }

    /**
     * Checks {@code machine}'s own configuration against it.
     *
     * @param machine created, not started
     * @throws IOException if the machine refuses its own configuration, which a source's would be refused for too
     */
    public static void run(Machine machine) throws IOException {
        MachineConfig own = machine.config();
        machine.accept(StateCodec.decode(MachineConfig.class, ByteBuffer.wrap(StateCodec.encode(own)), Phase.CONFIG));
    }
}
