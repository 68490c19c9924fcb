package dev.ferry.savevm;

import java.io.IOException;

/**
 * A section saved once while the VM is paused (vCPU registers, device state): one FULL frame
 * whose payload is the record {@link #save} returns, encoded component by component in
 * declaration order (see {@link SectionOutput#writeRecord}). The record type is the wire
 * contract: change its components and you bump the section version. The module holding the
 * record must {@code opens} its package {@code to dev.ferry.savevm}.
 *
 * @param <S> the state record
 */
public non-sealed interface StateSection<S extends Record> extends Section {

    /**
     * The record class, used to decode on the destination.
     *
     * @return the state record's class
     */
    Class<S> stateType();

    /**
     * Source, VM paused: the state to send.
     *
     * @return the state, a record of {@link #stateType()}
     * @throws IOException if the state cannot be read from the device
     */
    S save() throws IOException;

    /**
     * Source, VM running, before the pause, on a thread of its own beside the live copy (and
     * maybe before, ahead of any migration: {@link MigrationDriver#rehearse}):
     * runs the save path (and what else of the section's code the pause will need) on stand-in
     * state and throws the result away, so the save at the pause runs on warm code. It must
     * neither change nor wait on the running VM. Nothing by default.
     */
    default void rehearse() {
    }

    /**
     * Destination, VM not running: applies the state (already version-checked).
     *
     * @param state the decoded state
     * @param version the stream's version of this section
     * @throws IOException if the state cannot be applied
     */
    void load(S state, int version) throws IOException;
}
