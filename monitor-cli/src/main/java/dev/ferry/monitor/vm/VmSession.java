package dev.ferry.monitor.vm;

import dev.ferry.blockmig.BlockResume;
import dev.ferry.blockmig.BlockSourceSection;
import dev.ferry.blockmig.CopyMode;
import dev.ferry.blockmig.CopyOptions;
import dev.ferry.blockmig.DiskStats;
import dev.ferry.blockmig.DriveSelection;
import dev.ferry.monitor.hmp.DriveInfo;
import dev.ferry.monitor.hmp.MigrateRequest;
import dev.ferry.monitor.hmp.MigrationCapabilities;
import dev.ferry.monitor.hmp.MigrationInfo;
import dev.ferry.monitor.hmp.MigrationParameters;
import dev.ferry.monitor.hmp.MonitorException;
import dev.ferry.monitor.hmp.RunState;
import dev.ferry.monitor.hmp.Sizes;
import dev.ferry.monitor.hmp.VmControl;
import dev.ferry.monitor.hmp.VmListener;
import dev.ferry.savevm.ConfigSource;
import dev.ferry.savevm.LiveSection;
import dev.ferry.savevm.MigrationDriver;
import dev.ferry.savevm.MigrationOptions;
import dev.ferry.savevm.MigrationState;
import dev.ferry.savevm.MigrationStats;
import dev.ferry.savevm.OutgoingResume;
import dev.ferry.savevm.SectionRegistry;
import dev.ferry.transport.MigrationUri;
import dev.ferry.transport.TlsCredentials;
import dev.ferry.transport.Transports;
import dev.ferry.vm.block.BlockDevice;
import dev.ferry.vm.migration.RamSection;
import dev.ferry.vm.state.MachineConfig;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running VM as the monitor controls it: run state, outgoing migrations (with the storage copy
 * of the drives it picks), limits, and what {@code info} shows. Incoming migrations are
 * {@code IncomingVm}'s; once one succeeded its VM becomes a session like any other.
 */
public final class VmSession implements VmControl, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(VmSession.class);
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

    private final CountDownLatch ended = new CountDownLatch(1);
    /** Told of state changes; also the lock that keeps changes and their notices in one order. */
    private final List<VmListener> listeners = new CopyOnWriteArrayList<>();
    /** {@code --tls-creds}: outgoing migrations run TLS with these. */
    private final Optional<TlsCredentials> tls;
    private volatile VmBody body;
    private volatile RunState state = RunState.INMIGRATE;
    private volatile String incomingUri = "";
    private volatile int exitStatus;
    private volatile MigrationParameters parameters = new MigrationParameters(
            MigrationOptions.defaults().maxBandwidth(), MigrationOptions.defaults().downtimeLimit(), false,
            MigrationOptions.defaults().frameChecksum());
    private volatile MigrationCapabilities capabilities = MigrationCapabilities.defaults();
    private volatile Outgoing outgoing;
    private volatile String endReason = "";
    private final IncomingProgress incoming = new IncomingProgress();
    /** How a {@code -incoming defer} VM starts listening, until {@code migrate_incoming} used it. */
    private volatile IncomingStarter deferred;

    /** Starts listening on a URI and receiving in the background ({@code migrate_incoming}). */
    @FunctionalInterface
    interface IncomingStarter {
        void listen(String uri) throws IOException;
    }

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
        changeState(RunState.RUNNING);
    }

    /**
     * The incoming migration delivered the VM, acknowledged at {@code acknowledgedNanos}
     * ({@link System#nanoTime()}): it runs from now on. Returns how long after the ACK its vCPUs
     * started, the part of the guest's pause that the source's downtime does not include.
     */
    Duration attach(VmBody received, long acknowledgedNanos) {
        body = received;
        incomingUri = "";
        long started = body.start();
        Duration startAfterAck = Duration.ofNanos(started - acknowledgedNanos);
        Instant startedAt = Instant.now().minusNanos(System.nanoTime() - started);
        // Completed once it runs, with those figures: the status and the event come right after the start, as in QEMU.
        incoming.completed(new MigrationInfo.IncomingStart(startAfterAck, startedAt));
        migrationStatusChanged("completed");
        changeState(RunState.RUNNING);
        return startAfterAck;
    }

    /** Where the destination waits for the source, for {@code info status}; empty once it connected. */
    void listening(String uri) {
        incomingUri = uri;
        if (uri.isEmpty()) {
            incoming.active();
            migrationStatusChanged("active");
        } else {
            incoming.waiting(uri);
        }
    }

    /** A {@code -incoming defer} VM: {@code migrate_incoming URI} calls {@code starter}. */
    void deferIncoming(IncomingStarter starter) {
        deferred = starter;
    }

    @Override
    public synchronized void migrateIncoming(String uri) throws MonitorException {
        IncomingStarter starter = deferred;
        if (starter == null) {
            throw new MonitorException("migrate_incoming: " + (body == null && !incomingUri.isEmpty()
                    ? "already waiting on " + incomingUri : "the VM was not started with -incoming defer"));
        }
        try {
            starter.listen(uri);
            deferred = null;
        } catch (IOException | IllegalArgumentException e) {
            throw new MonitorException("migrate_incoming: " + e.getMessage());
        }
    }

    /** The incoming link broke during the storage copy; the destination waits on {@code uri} for the source to resume. */
    void incomingPaused(String reason, String uri) {
        incoming.paused(reason, uri);
        migrationStatusChanged("precopy-paused");
    }

    /** The incoming migration failed: nothing runs, and the process ends with an error. */
    void incomingFailed(String reason) {
        if (state == RunState.SHUTDOWN) {
            return; // quit (or a signal) closed the listener: not a failure
        }
        incoming.failed(reason);
        migrationStatusChanged("failed");
        endReason = "incoming migration failed: " + reason;
        exitStatus = 1;
        changeState(RunState.SHUTDOWN);
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
                endReason = reason;
                exitStatus = reason.contains("failed") ? 1 : 0;
                changeState(RunState.SHUTDOWN);
            }
        });
        Outgoing migration = outgoing;
        if (state != RunState.SHUTDOWN && migration != null && migration.driver().state() instanceof MigrationState.Completed) {
            // The driver left the VM paused for good; its listener may not have said so yet.
            changeState(RunState.POSTMIGRATE);
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
            changeState(RunState.PAUSED);
        }
    }

    @Override
    public synchronized void cont() throws MonitorException {
        VmBody body = requireBody("cont");
        requireNotMigrating("cont");
        switch (runState()) {
            case PAUSED -> {
                body.resume();
                changeState(RunState.RUNNING);
            }
            case RUNNING -> {
            }
            default -> throw new MonitorException("cont: the VM is " + state.describe() + " and cannot run here");
        }
    }

    @Override
    public synchronized void migrate(MigrateRequest request) throws MonitorException {
        VmBody body = requireBody("migrate");
        if (request.resume()) {
            resumeMigration(request.uri());
            return;
        }
        requireNotMigrating("migrate");
        RunState now = runState();
        if (now != RunState.RUNNING && now != RunState.PAUSED) {
            throw new MonitorException("migrate: the VM is " + now.describe());
        }
        Optional<String> blocker = body.migrationBlocker();
        if (blocker.isPresent()) {
            throw new MonitorException("migrate: " + blocker.get());
        }
        request = withCapabilities(request);
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
        List<String> copied = disks.stream().map(BlockSourceSection::drive).toList();
        boolean incremental = request.storage() == MigrateRequest.StorageCopy.INCREMENTAL;
        String storage = request.storage().name().toLowerCase(Locale.ROOT);
        // Built on the migration thread: an incremental copy hashes every byte of the backing files.
        ConfigSource config = () -> {
            List<DriveFacts> facts = new ArrayList<>();
            for (var drive : body.disks().entrySet()) {
                facts.add(DriveFacts.of(drive.getKey(), drive.getValue(), incremental && copied.contains(drive.getKey())));
            }
            return new VmConfig(body.machine(), body.kvmConfig(), facts, storage, copied, body.workloadDrives());
        };
        String target = request.uri();
        Optional<OutgoingResume> resumer = resumer(registry.live(), disks);
        MigrationDriver driver = MigrationDriver.start(registry, BlockSourceSection.releasingThrottles(body, disks), config,
                Channels.outgoing(uri, transport), options(), resumer, entered -> outgoingStateChanged(target, entered));
        outgoing = new Outgoing(driver, disks, request);
    }

    /**
     * What resumes this migration after a break, when it covers every live section: the disks
     * alone, or the disks and the guest's RAM (sent again whole). Without a storage copy there is
     * no migration id for a destination to be matched by, and a break fails.
     */
    private static Optional<OutgoingResume> resumer(List<LiveSection> live, List<BlockSourceSection> disks) {
        if (disks.isEmpty()) {
            return Optional.empty();
        }
        List<LiveSection> others = live.stream().filter(section -> !disks.contains(section)).toList();
        if (others.isEmpty()) {
            return Optional.of(BlockResume.outgoing(disks));
        }
        return others.size() == 1 && others.getFirst() instanceof RamSection ram
                ? Optional.of(BlockResume.outgoing(ram, disks)) : Optional.empty();
    }

    /** {@code migrate -r URI}: the precopy-paused migration goes on over a new link to URI. */
    private void resumeMigration(String target) throws MonitorException {
        Outgoing current = outgoing;
        if (current == null || !(current.driver().state() instanceof MigrationState.PrecopyPaused)) {
            throw new MonitorException("resume: no migration is precopy-paused"
                    + (current == null ? "" : " (it is " + current.driver().state().status() + ")"));
        }
        dev.ferry.savevm.MigrationChannel link;
        try {
            MigrationUri uri = MigrationUri.parse(target);
            link = Channels.outgoing(uri, Transports.connect(uri, CONNECT_TIMEOUT, tls));
        } catch (IOException | IllegalArgumentException e) {
            throw new MonitorException("resume: " + e.getMessage());
        }
        try {
            current.driver().resume(link);
        } catch (IllegalArgumentException | IllegalStateException e) {
            try {
                link.close(); // not taken: nothing was sent on it
            } catch (IOException closing) {
                LOG.debug("closing the unused link: {}", closing.toString());
            }
            throw new MonitorException("resume: " + e.getMessage());
        }
    }

    /** The {@code block} capability makes a plain {@code migrate} copy the disks, as QEMU's does. */
    private MigrateRequest withCapabilities(MigrateRequest request) {
        if (request.storage() != MigrateRequest.StorageCopy.NONE || !capabilities.block()) {
            return request;
        }
        MigrateRequest.StorageCopy storage = parameters.blockIncremental()
                ? MigrateRequest.StorageCopy.INCREMENTAL : MigrateRequest.StorageCopy.FULL;
        return new MigrateRequest(request.uri(), storage, request.drives(), request.detach(), false);
    }

    private MigrationOptions options() {
        MigrationParameters p = parameters;
        return MigrationOptions.defaults().withMaxBandwidth(p.maxBandwidth()).withDowntimeLimit(p.downtimeLimit())
                .withAutoConverge(capabilities.autoConverge()).withFrameChecksum(p.frameChecksum());
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
        if (mode == CopyMode.INCREMENTAL) {
            for (BlockSourceSection disk : disks) {
                BlockDevice device = body.disks().get(disk.drive());
                if (device.backing().isEmpty()) {
                    throw new MonitorException("migrate: -i copies a drive's top layer, and drive " + disk.drive() + " ("
                            + device.path() + ") has no backing file: copy it in full with -b");
                }
            }
        }
        return disks;
    }

    /** On the migration thread, in order: the status for listeners; completed leaves this side paused for good. */
    private void outgoingStateChanged(String uri, MigrationState now) {
        migrationStatusChanged(now.status());
        switch (now) {
            case MigrationState.Completed c -> {
                changeState(RunState.POSTMIGRATE);
                LOG.info("migration to {} completed", uri);
            }
            case MigrationState.Failed failed -> LOG.warn("migration to {} failed: {}", uri, failed.reason());
            case MigrationState.PrecopyPaused paused -> System.err.println("ferry: migration to " + uri
                    + " precopy-paused: " + paused.reason() + "; the VM runs on, resume with migrate -r URI");
            case MigrationState.Cancelled c -> LOG.info("migration to {} ended: {}", uri, now.status());
            default -> {
            }
        }
    }

    @Override
    public void addListener(VmListener listener) {
        listeners.add(listener);
    }

    @Override
    public void removeListener(VmListener listener) {
        listeners.remove(listener);
    }

    /** Every run-state change goes through here, so listeners hear each one once and in order. */
    private void changeState(RunState next) {
        synchronized (listeners) {
            RunState previous = state;
            state = next;
            if (previous != next) {
                listeners.forEach(listener -> listener.runStateChanged(previous, next));
            }
        }
    }

    private void migrationStatusChanged(String status) {
        synchronized (listeners) {
            listeners.forEach(listener -> listener.migrationStatusChanged(status));
        }
    }

    private void requireNotMigrating(String command) throws MonitorException {
        Outgoing current = outgoing;
        if (current != null && !current.driver().state().isFinal()) {
            throw new MonitorException(command + ": a migration is running (see 'info migrate', or 'migrate_cancel')");
        }
    }

    @Override
    public MigrationInfo migrationInfo() {
        Outgoing current = outgoing;
        if (current == null) {
            return incoming.info();
        }
        MigrationStats stats = current.driver().stats();
        MigrationState state = stats.state();
        long ramTotal = body.kvmConfig().map(MachineConfig::memoryBytes).orElse(0L);
        MigrationInfo.Transfer ram = stats.sections().stream().filter(s -> s.id().idstr().equals("ram")).findFirst()
                .map(s -> new MigrationInfo.Transfer(s.transferredBytes(), s.remainingBytes(), ramTotal))
                .orElse(new MigrationInfo.Transfer(0, 0, ramTotal));
        Optional<MigrationInfo.Transfer> disk = current.disks().isEmpty() ? Optional.empty() : Optional.of(diskTransfer(current.disks()));
        MigrationInfo.SourceFigures figures = new MigrationInfo.SourceFigures(stats.setupTime(), stats.actualDowntime(),
                state.isFinal() ? Optional.empty() : Optional.of(stats.expectedDowntime()), ram, disk, stats.iterations(), stats);
        Optional<String> failure = switch (state) {
            case MigrationState.Failed failed -> Optional.of(failed.phase().name().toLowerCase(Locale.ROOT) + ": " + failed.reason());
            case MigrationState.PrecopyPaused paused -> Optional.of(paused.reason());
            default -> Optional.empty();
        };
        return new MigrationInfo(state.status(), failure, Optional.of(stats.totalTime()), Optional.empty(), Optional.empty(),
                Optional.of(figures));
    }

    private static MigrationInfo.Transfer diskTransfer(List<BlockSourceSection> disks) {
        long transferred = 0;
        long remaining = 0;
        long total = 0;
        for (BlockSourceSection disk : disks) {
            DiskStats stats = disk.stats();
            transferred += stats.transferredBytes();
            remaining += stats.remainingBytes();
            total += stats.totalBytes();
        }
        return new MigrationInfo.Transfer(transferred, remaining, total);
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
    public MigrationParameters parameters() {
        return parameters;
    }

    @Override
    public synchronized void setParameters(MigrationParameters changed) {
        parameters = changed;
        steerRunningMigration(driver -> {
            driver.setMaxBandwidth(changed.maxBandwidth());
            driver.setDowntimeLimit(changed.downtimeLimit());
        });
    }

    /** Applies new limits to the migration in flight; once it ended they are for the next one, as in QEMU. */
    private void steerRunningMigration(Consumer<MigrationDriver> change) {
        Outgoing current = outgoing;
        if (current == null) {
            return;
        }
        try {
            change.accept(current.driver());
        } catch (IllegalStateException ended) {
            LOG.debug("not steering the ended migration: {}", ended.getMessage());
        }
    }

    @Override
    public MigrationCapabilities capabilities() {
        return capabilities;
    }

    @Override
    public synchronized void setCapabilities(MigrationCapabilities changed) throws MonitorException {
        requireNotMigrating("migrate_set_capability");
        capabilities = changed;
    }

    @Override
    public List<DriveInfo> drives() {
        VmBody current = body;
        if (current == null) {
            return List.of();
        }
        List<DriveInfo> drives = new ArrayList<>();
        current.disks().forEach((id, disk) -> drives.add(new DriveInfo(id, disk.path().toString(), disk.format().id(), disk.size(),
                disk.readOnly(), disk.backing().map(b -> b.path().toString()), disk.observerCount())));
        return drives;
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
        changeState(RunState.SHUTDOWN);
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
