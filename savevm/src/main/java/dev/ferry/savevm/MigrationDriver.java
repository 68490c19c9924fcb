package dev.ferry.savevm;

import dev.ferry.savevm.source.SourceMigration;
import dev.ferry.savevm.source.StateWarmUp;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The source side of a migration, running on its own thread; this object is its handle.
 * {@link #start} returns at once; watch it with {@link #state}, {@link #stats} and
 * {@link #await}; steer it with {@link #setMaxBandwidth}, {@link #setDowntimeLimit} and
 * {@link #cancel}.
 *
 * <p>On success the source VM is left paused (its state now lives on the destination). On
 * failure or cancel before the destination acknowledged, the driver sends ABORT, resumes the VM
 * if it had paused it, and calls every live section's cleanup with {@code false}: the VM runs on
 * with its state and disks intact. The driver owns the channel and closes it at the end.
 */
public final class MigrationDriver {

    private final SourceMigration migration;

    private MigrationDriver(SourceMigration migration) {
        this.migration = migration;
    }

    /**
     * Runs, on the calling thread, the warm-up of the state sections of {@code registry} that a
     * migration otherwise starts at its own start, beside its live copy ({@link StateSection#rehearse}):
     * a source VM that runs it ahead keeps that CPU from its migration's copy. Sections whose
     * rehearsal is once per process ({@code rehearse} says) cost the migration nothing more.
     *
     * @param registry the sections a migration of this VM would carry
     */
    public static void rehearse(SectionRegistry registry) {
        StateWarmUp.rehearse(registry.state());
    }

    /**
     * Starts migrating the sections of {@code registry} over {@code channel}.
     *
     * @param registry the VM's sections, registered before the call
     * @param vm paused at the switch, resumed on failure
     * @param config the source's configuration record, which the destination checks first
     * @param channel must be writable and open; with a readable side the driver waits for the
     *                destination's reply to the configuration before any section data, and for ACK after EOF
     * @param options limits and timeouts
     * @return the running migration; poll or await it
     * @throws IllegalArgumentException for a read-only or closed channel
     */
    public static MigrationDriver start(SectionRegistry registry, Pausable vm, Record config, MigrationChannel channel,
                                        MigrationOptions options) {
        Objects.requireNonNull(config, "config");
        return start(registry, vm, () -> config, channel, options);
    }

    /**
     * Like {@link #start(SectionRegistry, Pausable, Record, MigrationChannel, MigrationOptions)}, the config
     * built on the migration thread.
     *
     * @param registry the VM's sections, registered before the call
     * @param vm paused at the switch, resumed on failure
     * @param config builds the source's configuration record on the migration thread
     * @param channel must be writable and open
     * @param options limits and timeouts
     * @return the running migration; poll or await it
     */
    public static MigrationDriver start(SectionRegistry registry, Pausable vm, ConfigSource config, MigrationChannel channel,
                                        MigrationOptions options) {
        return start(registry, vm, config, channel, options, state -> { });
    }

    /**
     * Like {@link #start(SectionRegistry, Pausable, ConfigSource, MigrationChannel, MigrationOptions)},
     * telling {@code listener} of every state the migration enters, in order and none skipped:
     * {@link MigrationState.Setup} before this method returns, the others on the migration thread
     * as they happen. The migration waits while the listener runs, so it must not block.
     *
     * @param registry the sections to migrate
     * @param vm paused at the switch, resumed on failure
     * @param config builds the source's configuration record on the migration thread
     * @param channel must be writable and open
     * @param options limits and timeouts
     * @param listener told of each state change
     * @return the running migration's handle
     */
    public static MigrationDriver start(SectionRegistry registry, Pausable vm, ConfigSource config, MigrationChannel channel,
                                        MigrationOptions options, Consumer<MigrationState> listener) {
        return start(registry, vm, config, channel, options, Optional.empty(), listener);
    }

    /**
     * Like {@link #start(SectionRegistry, Pausable, ConfigSource, MigrationChannel, MigrationOptions, Consumer)};
     * with a {@code resumer} (and a return path), a link that breaks while the live sections are
     * copied leaves the migration {@link MigrationState.PrecopyPaused} instead of failed, the VM
     * running, until {@link #resume} or {@link #cancel}. Give a resumer only if it covers every live
     * section: data lost with the link is sent again only where the resumer marks it.
     *
     * @param registry the sections to migrate
     * @param vm paused at the switch, resumed on failure
     * @param config builds the source's configuration record on the migration thread
     * @param channel must be writable and open
     * @param options limits and timeouts
     * @param resumer checks a destination's RESUME and marks what to send again; empty: a break fails
     * @param listener told of each state change
     * @return the running migration's handle
     */
    public static MigrationDriver start(SectionRegistry registry, Pausable vm, ConfigSource config, MigrationChannel channel,
                                        MigrationOptions options, Optional<OutgoingResume> resumer,
                                        Consumer<MigrationState> listener) {
        Objects.requireNonNull(listener, "listener");
        Objects.requireNonNull(vm, "vm");
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(options, "options");
        if (channel.writable().isEmpty()) {
            throw new IllegalArgumentException("the source needs a writable migration channel");
        }
        channel.requireOpen();
        SourceMigration migration = new SourceMigration(registry.live(), registry.state(), vm, config, channel, options, resumer, listener);
        Thread.ofPlatform().name("savevm-migration").daemon(true).start(migration);
        return new MigrationDriver(migration);
    }

    /**
     * Where the migration is now.
     *
     * @return the current state
     */
    public MigrationState state() {
        return migration.state();
    }

    /**
     * The latest statistics, refreshed every iteration and at every state change.
     *
     * @return the latest statistics
     */
    public MigrationStats stats() {
        return migration.stats();
    }

    /**
     * Stops the migration: polled between section calls and during bandwidth waits; if the
     * driver is stuck in channel I/O, the channel is closed after a short grace. The VM resumes.
     * No effect once the migration ended.
     */
    public void cancel() {
        migration.cancel();
    }

    /**
     * Waits up to {@code timeout} for the migration to end and returns its state then (maybe not final).
     *
     * @param timeout the longest wait
     * @return the state when it ended, or the current one after the timeout
     * @throws InterruptedException if the waiting thread is interrupted; the migration goes on
     */
    public MigrationState await(Duration timeout) throws InterruptedException {
        return migration.await(timeout);
    }

    /**
     * Continues a {@link MigrationState.PrecopyPaused} migration on a new link: the destination
     * says what it holds, and only what it lacks or what changed since is sent again.
     *
     * @param link connected to the waiting destination, with a return path; the migration owns it
     * @throws IllegalStateException unless the migration is precopy-paused with no resume under way
     * @throws IllegalArgumentException for a link without a return path
     */
    public void resume(MigrationChannel link) {
        migration.resume(link);
    }

    /**
     * Changes the bandwidth limit, bytes per second ({@link Long#MAX_VALUE}: none); takes effect within ms.
     *
     * @param bytesPerSecond the new limit, positive
     * @throws IllegalStateException once the migration has ended
     */
    public void setMaxBandwidth(long bytesPerSecond) {
        requireRunning();
        migration.setMaxBandwidth(bytesPerSecond);
    }

    /**
     * Changes the downtime limit the switch decision uses from the next iteration on.
     *
     * @param limit the new limit, not negative
     * @throws IllegalStateException once the migration has ended
     */
    public void setDowntimeLimit(Duration limit) {
        requireRunning();
        migration.setDowntimeLimit(limit);
    }

    /** A limit set on an ended migration would be silently lost: say so instead. */
    private void requireRunning() {
        MigrationState now = migration.state();
        if (now.isFinal()) {
            throw new IllegalStateException("the migration has ended (" + now.status() + "): nothing left to steer");
        }
    }
}
