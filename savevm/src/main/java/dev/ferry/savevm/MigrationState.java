package dev.ferry.savevm;

import java.util.Locale;

/**
 * Where a source migration is: {@link Setup} → {@link Active} (⇄ {@link PrecopyPaused} → {@link PrecopyRecover} after a broken link, if resumable) → {@link Device} → one of
 * {@link Completed}, {@link Failed}, {@link Cancelled}. {@link #status()} is what
 * {@code info migrate} prints.
 */
public sealed interface MigrationState {

    /**
     * The lower-case word {@code info migrate} shows: the state's name.
     *
     * @return the state's name in lower case, e.g. {@code active}
     */
    default String status() {
        return getClass().getSimpleName().toLowerCase(Locale.ROOT);
    }

    /**
     * Whether the migration has ended (nothing will change any more).
     *
     * @return true for Completed, Failed and Cancelled
     */
    default boolean isFinal() {
        return this instanceof Completed || this instanceof Failed || this instanceof Cancelled;
    }

    /** Header, configuration and live-section setup are being sent. */
    record Setup() implements MigrationState {
    }

    /** Live sections are being copied while the VM runs. */
    record Active() implements MigrationState {
    }

    /**
     * The link broke during the live copy and the migration can resume: the VM runs on, its
     * sections keep tracking changes, and {@link MigrationDriver#resume} reconnects.
     *
     * @param reason one line: why the link broke, or why the last resume was refused
     */
    record PrecopyPaused(String reason) implements MigrationState {
        @Override
        public String status() {
            return "precopy-paused";
        }
    }

    /** A new link is being set up: the destination says what it holds, the source checks it. */
    record PrecopyRecover() implements MigrationState {
        @Override
        public String status() {
            return "precopy-recover";
        }
    }

    /** The VM is paused: last live data and device state are on their way. */
    record Device() implements MigrationState {
    }

    /** The destination has everything (and confirmed, if there is a return path); the source VM stays paused. */
    record Completed() implements MigrationState {
    }

    /**
     * The migration failed in {@code phase}; the source VM runs on.
     *
     * @param phase where the migration was when it failed
     * @param reason one line naming the thing at fault and the problem
     */
    record Failed(Phase phase, String reason) implements MigrationState {
    }

    /** An operator cancelled; the source VM runs on. */
    record Cancelled() implements MigrationState {
    }
}
