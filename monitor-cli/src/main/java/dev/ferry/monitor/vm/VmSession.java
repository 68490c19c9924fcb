package dev.ferry.monitor.vm;

import dev.ferry.blockmig.BlockSourceSection;
import dev.ferry.blockmig.CopyMode;
import dev.ferry.blockmig.CopyOptions;
import dev.ferry.blockmig.DiskStats;
import dev.ferry.blockmig.DriveSelection;
import dev.ferry.monitor.hmp.MigrateRequest;
import dev.ferry.monitor.hmp.MonitorException;
import dev.ferry.monitor.hmp.RunState;
import dev.ferry.monitor.hmp.Sizes;
import dev.ferry.monitor.hmp.VmControl;
import dev.ferry.savevm.MigrationDriver;
import dev.ferry.savevm.MigrationOptions;
import dev.ferry.savevm.MigrationState;
import dev.ferry.savevm.MigrationStats;
import dev.ferry.savevm.SectionRegistry;
import dev.ferry.transport.MigrationUri;
import dev.ferry.transport.TlsCredentials;
import dev.ferry.transport.Transports;
import dev.ferry.vm.block.BlockDevice;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running VM as the monitor controls it: run state, outgoing migrations (with the storage copy
 * of the drives it picks), limits, and what {@code info} shows. Incoming migrations are
 * {@link IncomingVm}'s; once one succeeded its VM becomes a session like any other.
 */
public final class VmSession implements VmControl, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(VmSession.class);
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

    private final CountDownLatch ended = new CountDownLatch(1);
    /** {@code --tls-creds}: outgoing migrations run TLS with these. */
    private final Optional<TlsCredentials> tls;
    private volatile VmBody body;
    private volatile RunState state = RunState.INMIGRATE;
    private volatile String incomingUri = "";
    private volatile int exitStatus;
    private volatile MigrationOptions options = MigrationOptions.defaults();
    private volatile Outgoing outgoing;
    private volatile String endReason = "";
    /** The drives as storage copies see them, one per image for the session's life: they count its dirty tracking. */

    /** An outgoing migration and the disks it copies. */
    private record Outgoing(MigrationDriver driver, List<BlockSourceSection> disks, MigrateRequest request) {
    }

    /** A session whose VM arrives later, by an incoming migration ({@link #attach}). */
    VmSession(Optional<TlsCredentials> tls) {
        this.tls = tls;
    }

    /** A session around a VM that is ready to start. */
    VmSession(VmBody body, Optional<TlsCredentials> tls) {
        this.body = body;
        this.tls = tls;
        this.state = RunState.PAUSED;
    }

    /** Starts the guest (or workload) and marks the VM running. */
    void start() {
        body.start();
        state = RunState.RUNNING;
    }

    /** The incoming migration delivered the VM: it runs from now on. */
    void attach(VmBody received) {
        body = received;
        incomingUri = "";
        start();
    }

    /** Where the destination waits for the source, for {@code info status}; empty once it connected. */
    void listening(String uri) {
        incomingUri = uri;
    }

    /** The incoming migration failed: nothing runs, and the process ends with an error. */
    void incomingFailed(String reason) {
        endReason = "incoming migration failed: " + reason;
        exitStatus = 1;
        state = RunState.SHUTDOWN;
        ended.countDown();
    }

    /** 0, or 1 once an incoming migration failed. */
    public int exitStatus() {
        return exitStatus;
    }

    public String endReason() {
        return endReason;
    }

    private VmBody requireBody(String command) throws MonitorException {
        VmBody current = body;
        if (current == null) {
            throw new MonitorException(command + ": the VM is waiting for an incoming migration"
                    + (incomingUri.isEmpty() ? "" : " on " + incomingUri));
        }
        return current;
    }

    @Override
    public RunState runState() {
        VmBody current = body;
        if (current == null) {
            return state;
        }
        current.ended().ifPresent(reason -> {
            if (state != RunState.SHUTDOWN) {
                state = RunState.SHUTDOWN;
                endReason = reason;
                exitStatus = reason.contains("failed") ? 1 : 0;
            }
        });
        Outgoing migration = outgoing;
        if (state != RunState.SHUTDOWN && migration != null && migration.driver().state() instanceof MigrationState.Completed) {
            // The driver left the VM paused for good; the watcher may not have said so yet.
            state = RunState.POSTMIGRATE;
        }
        return state;
    }

    @Override
    public Optional<String> incomingUri() {
        return body == null && !incomingUri.isEmpty() ? Optional.of(incomingUri) : Optional.empty();
    }

    @Override
    public synchronized void stop() throws MonitorException {
        VmBody body = requireBody("stop");
        requireNotMigrating("stop");
        if (runState() == RunState.RUNNING) {
            body.pause();
            state = RunState.PAUSED;
        }
    }

    @Override
    public synchronized void cont() throws MonitorException {
        VmBody body = requireBody("cont");
        requireNotMigrating("cont");
        switch (runState()) {
            case PAUSED -> {
                body.resume();
                state = RunState.RUNNING;
            }
            case RUNNING -> {
            }
            default -> throw new MonitorException("cont: the VM is " + state.describe() + " and cannot run here");
        }
    }

    @Override
    public synchronized void migrate(MigrateRequest request) throws MonitorException {
        VmBody body = requireBody("migrate");
        requireNotMigrating("migrate");
        RunState now = runState();
        if (now != RunState.RUNNING && now != RunState.PAUSED) {
            throw new MonitorException("migrate: the VM is " + now.describe());
        }
        List<BlockSourceSection> disks = storageSections(body, request);
        MigrationUri uri;
        try {
            uri = MigrationUri.parse(request.uri());
        } catch (IllegalArgumentException e) {
            throw new MonitorException("migrate: " + e.getMessage());
        }
        dev.ferry.transport.MigrationChannel transport;
        try {
            transport = Transports.connect(uri, CONNECT_TIMEOUT, tls);
        } catch (IOException e) {
            throw new MonitorException("migrate: " + e.getMessage());
        }
        SectionRegistry registry = new SectionRegistry();
        disks.forEach(registry::register);
        body.registerSections(registry);
        VmConfig config = new VmConfig(body.machine(), body.kvmConfig(), List.copyOf(body.disks().keySet()),
                request.storage().name().toLowerCase(Locale.ROOT),
                disks.stream().map(BlockSourceSection::drive).toList(), body.workloadDrives());
        MigrationDriver driver = MigrationDriver.start(registry, BlockSourceSection.releasingThrottles(body, disks), config,
                Channels.outgoing(uri, transport), options);
        Outgoing started = new Outgoing(driver, disks, request);
        outgoing = started;
        Thread.ofPlatform().daemon().name("migration-watch").start(() -> watch(started));
    }

    private static List<BlockSourceSection> storageSections(VmBody body, MigrateRequest request) throws MonitorException {
        if (request.storage() == MigrateRequest.StorageCopy.NONE) {
            return List.of();
        }
        DriveSelection selection;
        try {
            selection = request.drives().isEmpty() ? DriveSelection.ALL : DriveSelection.parse(String.join(",", request.drives()));
        } catch (IllegalArgumentException e) {
            throw new MonitorException("migrate: " + e.getMessage());
        }
        CopyMode mode = request.storage() == MigrateRequest.StorageCopy.FULL ? CopyMode.FULL : CopyMode.INCREMENTAL;
        List<BlockSourceSection> disks;
        try {
            disks = BlockSourceSection.forDrives(body.disks(), selection, CopyOptions.of(mode), progress -> { });
        } catch (IllegalArgumentException e) {
            throw new MonitorException("migrate: " + e.getMessage());
        }
        if (disks.isEmpty()) {
            throw new MonitorException("migrate: no writable drive to copy (drives: " + String.join(", ", body.disks().keySet()) + ")");
        }
        return disks;
    }

    /** Follows a migration to its end: completed leaves this side paused for good. */
    private void watch(Outgoing migration) {
        try {
            MigrationState last = migration.driver().await(Duration.ofDays(365));
            switch (last) {
                case MigrationState.Completed c -> {
                    state = RunState.POSTMIGRATE;
                    LOG.info("migration to {} completed", migration.request().uri());
                }
                case MigrationState.Failed failed -> LOG.warn("migration to {} failed: {}", migration.request().uri(), failed.reason());
                default -> LOG.info("migration to {} ended: {}", migration.request().uri(), last.status());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void requireNotMigrating(String command) throws MonitorException {
        Outgoing current = outgoing;
        if (current != null && !current.driver().state().isFinal()) {
            throw new MonitorException(command + ": a migration is running (see 'info migrate', or 'migrate_cancel')");
        }
    }

    @Override
    public Optional<MigrationStats> migration() {
        Outgoing current = outgoing;
        return current == null ? Optional.empty() : Optional.of(current.driver().stats());
    }

    @Override
    public List<String> migrationDiskLines() {
        Outgoing current = outgoing;
        if (current == null) {
            return List.of();
        }
        List<String> lines = new ArrayList<>();
        for (BlockSourceSection disk : current.disks()) {
            DiskStats stats = disk.stats();
            lines.add(String.format(Locale.ROOT, "disk %s: %s, transferred %s, remaining %s, zero chunks %d, dirty passes %d, %s",
                    disk.drive(), stats.phase().name().toLowerCase(Locale.ROOT), Sizes.human(stats.transferredBytes()),
                    Sizes.human(stats.remainingBytes()), stats.zeroChunks(), stats.dirtyPasses(), stats.convergence()));
        }
        return lines;
    }

    @Override
    public void cancelMigration() throws MonitorException {
        Outgoing current = outgoing;
        if (current == null || current.driver().state().isFinal()) {
            throw new MonitorException("migrate_cancel: no migration is running");
        }
        current.driver().cancel();
    }

    @Override
    public void setMaxBandwidth(long bytesPerSecond) {
        options = options.withMaxBandwidth(bytesPerSecond);
        Outgoing current = outgoing;
        if (current != null) {
            current.driver().setMaxBandwidth(bytesPerSecond);
        }
    }

    @Override
    public void setDowntimeLimit(Duration limit) {
        options = options.withDowntimeLimit(limit);
        Outgoing current = outgoing;
        if (current != null) {
            current.driver().setDowntimeLimit(limit);
        }
    }

    @Override
    public List<String> blockLines() {
        VmBody current = body;
        if (current == null) {
            return List.of("the drives open when the incoming migration arrives");
        }
        List<String> lines = new ArrayList<>();
        current.disks().forEach((id, disk) -> {
            int observers = disk.observerCount();
            lines.add(describe(id, disk) + ", dirty tracking " + (observers == 0 ? "off" : "on (" + observers + ")"));
        });
        return lines;
    }

    private static String describe(String id, BlockDevice disk) {
        return String.format(Locale.ROOT, "%s: %s (%s, %s%s)%s", id, disk.path(), disk.format().id(), Sizes.human(disk.size()),
                disk.readOnly() ? ", read-only" : "", disk.backing().map(b -> " backing " + b.path()).orElse(""));
    }

    @Override
    public List<String> guestLines() {
        VmBody current = body;
        if (current == null) {
            return List.of(incomingUri.isEmpty() ? "waiting for an incoming migration" : "waiting for an incoming migration on " + incomingUri);
        }
        List<String> lines = new ArrayList<>(current.guestLines());
        if (!endReason.isEmpty()) {
            lines.add(endReason);
        }
        return lines;
    }

    @Override
    public String verifyGuest(Duration timeout) throws MonitorException {
        VmBody current = requireBody("guest_verify");
        try {
            return current.verify(timeout);
        } catch (IOException e) {
            throw new MonitorException("guest_verify: " + e.getMessage());
        }
    }

    @Override
    public void quit() {
        Outgoing current = outgoing;
        if (current != null && !current.driver().state().isFinal()) {
            current.driver().cancel();
        }
        state = RunState.SHUTDOWN;
        ended.countDown();
    }

    /** Waits until {@code quit}, a failed incoming migration, or the guest ending by itself. */
    public void awaitEnd() throws InterruptedException {
        while (!ended.await(200, TimeUnit.MILLISECONDS)) {
            if (runState() == RunState.SHUTDOWN) {
                return;
            }
        }
    }

    @Override
    public void close() {
        Outgoing current = outgoing;
        if (current != null && !current.driver().state().isFinal()) {
            current.driver().cancel();
            try {
                current.driver().await(Duration.ofSeconds(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        VmBody running = body;
        if (running != null) {
            running.close();
        }
    }
}
