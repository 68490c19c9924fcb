package dev.ferry.vm;

/** Told of every lifecycle change of a machine, on the thread that caused it (maybe a vCPU thread). */
@FunctionalInterface
public interface MachineListener {

    /**
     * Called after {@code machine} moved from one state to another.
     *
     * @param machine the machine that changed
     * @param from the state it left
     * @param to the state it is in now
     * @param reason why, for a shutdown or failure; a short word otherwise
     */
    void stateChanged(Machine machine, RunState from, RunState to, String reason);
}
