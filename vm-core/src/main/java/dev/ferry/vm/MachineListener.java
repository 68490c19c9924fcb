package dev.ferry.vm;

/** Told of every lifecycle change of a machine, on the thread that caused it (maybe a vCPU thread). */
@FunctionalInterface
public interface MachineListener {

    /** @param reason why, for a shutdown or failure; a short word otherwise */
    void stateChanged(Machine machine, RunState from, RunState to, String reason);
}
