package dev.ferry.monitor.hmp;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * What the monitor can ask of the VM it runs in. The monitor only parses, calls and prints; the
 * VM process implements this. Methods throw {@link MonitorException} with a one-line message
 * for anything the operator did wrong or the VM refused.
 */
public interface VmControl {

    RunState runState();

    /** From now on {@code listener} hears of every run-state and migration-status change. */
    void addListener(VmListener listener);

    /** {@code listener} hears nothing more. */
    void removeListener(VmListener listener);

    /** Where a destination waits for its incoming migration, while it does. */
    Optional<String> incomingUri();

    /** Pauses the guest ({@code stop}). */
    void stop() throws MonitorException;

    /** Resumes the guest ({@code cont}). */
    void cont() throws MonitorException;

    /** Starts an outgoing migration; returns once it runs, or throws if it could not start. */
    void migrate(MigrateRequest request) throws MonitorException;

    /** The running or last migration, outgoing or (on a destination) incoming; status none if there is none. */
    MigrationInfo migrationInfo();

    /** Starts listening for the migration a {@code -incoming defer} VM waits for. */
    void migrateIncoming(String uri) throws MonitorException;

    /** Per-disk lines of the running or last migration's storage copy. */
    List<String> migrationDiskLines();

    /** Cancels the running migration; the guest keeps running on this side. */
    void cancelMigration() throws MonitorException;

    MigrationParameters parameters();

    /** Takes effect at once, on a running migration too. */
    void setParameters(MigrationParameters parameters);

    MigrationCapabilities capabilities();

    /** Refused while a migration runs, as QEMU does. */
    void setCapabilities(MigrationCapabilities capabilities) throws MonitorException;

    /** The VM's drives; none while an incoming migration has not delivered them. */
    List<DriveInfo> drives();

    /** The built-in guest's own counters and last verification, as {@code info guest} shows them. */
    List<String> guestLines();

    /** Asks the built-in guest to verify all it wrote and waits for its verdict. */
    String verifyGuest(Duration timeout) throws MonitorException;

    /** Stops the VM and ends the process's monitor loop. */
    void quit();
}
