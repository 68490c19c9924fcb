package dev.ferry.savevm;

import java.io.IOException;

/**
 * A section copied while the VM runs (RAM, disks): QEMU's save_setup / save_live_iterate /
 * save_live_complete_precopy / state_pending / load_state, as one interface.
 *
 * <p>Source: {@link #setup} once (START frame; typically switches dirty tracking on), then
 * {@link #iterate} while the VM runs (PART frames), as long as the driver finds
 * {@link #pendingBytes} too large for the downtime limit; then, VM paused, {@link #complete}
 * (the last frame is END); finally {@link #cleanup} in every case, success or not.
 *
 * <p>Destination: {@link #load} once per frame, in stream order, with the frame's payload only.
 * Output is cut into frames only between write calls or where {@link SectionOutput#keepTogether}
 * allows, so a section decodes each frame on its own. Every call runs on one thread per side.
 */
public non-sealed interface LiveSection extends Section {

    /**
     * Source, VM running: starts tracking changes and writes what the destination needs first.
     *
     * @param out where the setup data goes
     * @throws IOException if tracking cannot start or the channel fails; the migration then fails
     */
    void setup(SectionOutput out) throws IOException;

    /**
     * Source: a cheap estimate of the bytes still to send (e.g. known-dirty pages). Called from
     * the driver thread between iterations; must not block on the guest.
     *
     * @return bytes still to send, an estimate
     */
    long pendingBytes();

    /**
     * Source: an exact figure, called only when the estimate says the rest would fit the downtime
     * limit (e.g. after harvesting the dirty log). Defaults to the estimate.
     *
     * @return bytes still to send, exactly
     */
    default long exactPendingBytes() {
        return pendingBytes();
    }

    /**
     * Source, VM running: sends roughly {@code budgetBytes} of pending data (more by at most one
     * unit), or less if less is pending. The bandwidth limit is applied by the output.
     *
     * @param out where the data goes
     * @param budgetBytes how many bytes this call should send, positive
     * @throws IOException if the data cannot be read or sent; the migration then fails
     */
    void iterate(SectionOutput out, long budgetBytes) throws IOException;

    /**
     * Source, VM paused: sends everything still pending.
     *
     * @param out where the data goes
     * @throws IOException if the data cannot be read or sent; the migration then fails and the VM resumes
     */
    void complete(SectionOutput out) throws IOException;

    /**
     * Source, always called once at the end: stops dirty tracking and frees what setup took.
     * {@code succeeded} is false after a failure or cancel; the VM then keeps running with its
     * state intact, so this must leave it usable.
     *
     * @param succeeded whether the destination acknowledged the stream
     */
    void cleanup(boolean succeeded);

    /**
     * Source: the driver saw pending bytes not shrinking over another stall window, the
     * {@code level}-th so far (1, 2, ...); a section that can slow the guest down (throttle vCPUs,
     * delay disk writes) should do so more as the level grows. The level never falls during a
     * migration; {@link #cleanup} ends any throttling, {@link #copyHeld} lifts it while the link is down.
     *
     * @param level the stall count so far, 1 or more, never falling
     */
    default void notConverging(int level) {
    }

    /**
     * Source: the link broke and the copy waits for a resume, during which nothing is copied, so
     * the guest must not stay slowed down for it: a section lifts any throttle
     * {@link #notConverging} put on. When the copy runs again the driver gives the level reached
     * so far once more.
     */
    default void copyHeld() {
    }

    /**
     * Destination: applies one frame of kind START, PART or END, written at stream
     * {@code version} (already checked by {@link #acceptsVersion}). Must consume the payload
     * exactly; leftover bytes fail the migration.
     *
     * @param kind START, PART or END
     * @param in the frame's payload
     * @param version the stream's version of this section
     * @throws IOException if the payload is malformed or cannot be applied
     */
    void load(FrameKind kind, SectionInput in, int version) throws IOException;

    /**
     * Destination: bytes this section applied but has not finished with yet (read back for its
     * digest, made durable), which its {@link #verify} would otherwise do inside the guest's
     * downtime. Reported to the source, which pauses only once the destination caught up. Called
     * from another thread than {@link #load}; the default owes nothing.
     *
     * @return bytes still to be checked or flushed, 0 if none
     */
    default long backlogBytes() {
        return 0;
    }
}
