package dev.ferry.monitor.vm;

import dev.ferry.blockmig.BlockResume;
import dev.ferry.monitor.hmp.MonitorEndpoint;
import dev.ferry.monitor.qmp.QmpServer;
import dev.ferry.savevm.MigrationChannel;
import dev.ferry.transport.MigrationListener;
import dev.ferry.transport.MigrationUri;
import dev.ferry.transport.Transports;
import dev.ferry.vm.DiskSpec;
import dev.ferry.vm.GuestWorkload;
import dev.ferry.vm.Machine;
import dev.ferry.vm.MachineSpec;
import dev.ferry.vm.block.BlockDevice;
import dev.ferry.vm.device.serial.UartSink;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code ferry run}: builds the VM (or waits for it to arrive), serves the monitor, and returns
 * the process's exit status when the VM ends.
 */
public final class VmLauncher {

    private static final Logger LOG = LoggerFactory.getLogger(VmLauncher.class);
    /** A destination waiting this long without a source is almost certainly forgotten. */
    private static final Duration FOREVER = Duration.ofDays(365);

    private VmLauncher() {
    }

    public static int run(RunOptions options) throws IOException, InterruptedException {
        // One console per process: a machine built ahead and then rebuilt from the source's
        // configuration write to the same file, closed when the process's VM has ended.
        String serial = options.machine().equals("none") ? "none" : options.serial();
        try (GuestConsole console = GuestConsole.open(serial)) {
            return run(options, console.sink());
        }
    }

    private static int run(RunOptions options, UartSink console) throws IOException, InterruptedException {
        MonitorEndpoint monitor = options.monitor().equals("none") ? null : MonitorEndpoint.parse(options.monitor());
        List<MigrationListener> listeners = new CopyOnWriteArrayList<>();
        QmpServer qmp = null;
        VmSession session;
        PrebuiltMachine prebuilt = prebuild(options, console);
        try {
            qmp = options.qmp().map(QmpServer::listen).orElse(null);
            session = prepare(options, listeners, prebuilt, console);
        } catch (IOException | RuntimeException e) {
            // A start that fails leaves no socket behind: each one opened so far goes, its file too.
            closeSockets(monitor, qmp, listeners);
            prebuilt.close();
            throw e;
        }
        TerminationSignals.install(session::quit);
        if (qmp != null) {
            QmpServer served = qmp;
            Thread.ofPlatform().daemon().name("qmp").start(() -> served.serve(session));
        }
        Thread monitorThread = null;
        if (monitor != null) {
            monitorThread = Thread.ofPlatform().name("monitor").start(() -> serve(monitor, session));
        }
        try {
            session.awaitEnd();
        } finally {
            closeSockets(monitor, qmp, listeners);
            session.close();
            prebuilt.close();
        }
        if (monitorThread != null) {
            monitorThread.join(Duration.ofSeconds(5));
        }
        if (session.exitStatus() != 0) {
            System.err.println("ferry: " + session.endReason());
        }
        return session.exitStatus();
    }

    /**
     * An incoming KVM machine without drives, built from this command line before the destination
     * listens ({@link PrebuiltMachine}); nothing for a VM that boots here or has drives.
     */
    private static PrebuiltMachine prebuild(RunOptions options, UartSink console) {
        if (options.incoming().isEmpty() || options.machine().equals("none") || !options.drives().isEmpty()) {
            return PrebuiltMachine.none();
        }
        boolean linux = options.linux().isPresent();
        return PrebuiltMachine.build(() -> incomingMachine(options, console, List.of(), linux), linux);
    }

    /** The destination's machine from its command line, over {@code disks}, created and not started. */
    private static Machine incomingMachine(RunOptions options, UartSink console, List<BlockDevice> disks, boolean linux)
            throws IOException {
        return Machine.incoming(machineSpec(options), console, disks, linux);
    }

    /** The session: a booted VM that runs, or one waiting for its incoming migration. */
    private static VmSession prepare(RunOptions options, List<MigrationListener> listeners, PrebuiltMachine prebuilt,
                                     UartSink console) throws IOException {
        if (options.incoming().isEmpty()) {
            IncomingImageMarks.refuseMarked(options.drives());
            VmBody body = boot(options, console);
            VmSession session = new VmSession(body, options.tls());
            session.start();
            OutgoingPreparation.start(body);
            return session;
        }
        VmSession incoming = new VmSession(options.tls());
        VmSession.IncomingStarter starter = uri -> listeners.add(listen(options, incoming, uri, listeners, prebuilt, console));
        if (options.incoming().get().equals("defer")) {
            incoming.deferIncoming(starter);
            System.err.println("ferry: -incoming defer: waiting for the monitor's migrate_incoming URI");
        } else {
            starter.listen(options.incoming().get());
        }
        return incoming;
    }

    private static void closeSockets(MonitorEndpoint monitor, QmpServer qmp, List<MigrationListener> listeners) {
        if (monitor != null) {
            monitor.close();
        }
        if (qmp != null) {
            qmp.close();
        }
        for (MigrationListener listener : listeners) {
            try {
                listener.close();
            } catch (IOException e) {
                LOG.warn("closing the migration listener {}: {}", listener.uri(), e.getMessage());
            }
        }
    }

    private static VmBody boot(RunOptions options, UartSink console) throws IOException {
        if (options.machine().equals("none")) {
            return DiskOnlyVm.boot(Drives.openAll(options.drives()), options.workload());
        }
        Machine machine = options.linux().isPresent()
                ? Machine.bootLinux(machineSpec(options), options.linux().get(), console)
                : Machine.boot(machineSpec(options), console);
        return new GuestVm(machine, driveIds(options));
    }

    /** Listens on {@code uri} and receives the migration in the background. */
    private static MigrationListener listen(RunOptions options, VmSession session, String uri, List<MigrationListener> listeners,
                                            PrebuiltMachine prebuilt, UartSink console) throws IOException {
        IncomingTarget target = IncomingTarget.parse(uri);
        MigrationListener listener = Transports.listen(MigrationUri.parse(target.uri()), options.tls());
        String bound = listener.boundUri().toString();
        session.listening(bound);
        System.err.println("ferry: waiting for an incoming migration on " + bound);
        receiveInBackground(options, session, listener, target.resume() ? Optional.of(listeners) : Optional.empty(), prebuilt,
                console);
        return listener;
    }

    /** With {@code resumeListeners}, a broken storage copy listens again on the same address, registered there for quit to close. */
    private static void receiveInBackground(RunOptions options, VmSession session, MigrationListener listener,
                                            Optional<List<MigrationListener>> resumeListeners, PrebuiltMachine prebuilt,
                                            UartSink console) {
        Thread.ofPlatform().name("incoming").start(() -> {
            try {
                Duration timeout = options.incomingTimeout().isZero() ? FOREVER : options.incomingTimeout();
                // Beside the accept (and a TLS handshake), not before it: a source must not time out on a long hash.
                IncomingPreparation preparation = IncomingPreparation.start(options.drives(), !options.machine().equals("none"));
                MigrationChannel channel = Channels.incoming(listener.uri(), listener.accept(timeout));
                listener.close();
                session.listening("");
                preparation.await();
                IncomingImageMarks marks = IncomingImageMarks.begin(options.drives());
                AtomicReference<Duration> startAfterAck = new AtomicReference<>();
                try {
                    // The source stopped for good at the ACK: the VM starts right there, before anything else.
                    receive(options, channel, resumeListeners.map(registered ->
                                    reason -> awaitResume(options, session, listener.boundUri().toString(), registered, reason)),
                            prebuilt, console, (vm, acknowledged) -> startAfterAck.set(session.attach(vm, acknowledged)));
                } catch (IOException | RuntimeException e) {
                    marks.failed(reason(e));
                    throw e;
                }
                marks.succeeded();
                LOG.info("incoming migration done; the VM runs (it started {} ms after this side's ACK)", startAfterAck.get().toMillis());
                System.err.println("ferry: incoming migration done; the VM runs");
            } catch (IOException | RuntimeException e) {
                LOG.debug("incoming migration failed", e);
                session.incomingFailed(reason(e));
            }
        });
    }

    /** Precopy-paused: says so in one line and waits on the same listener for the resuming source. */
    private static MigrationChannel awaitResume(RunOptions options, VmSession session, String uri,
                                                List<MigrationListener> registered, String reason) throws IOException {
        MigrationListener listener = Transports.listen(MigrationUri.parse(uri), options.tls());
        registered.add(listener);
        session.incomingPaused(reason, uri);
        System.err.println("ferry: precopy-paused (" + reason + "): what arrived so far is kept, waiting on " + uri
                + " for the source's migrate -r");
        MigrationChannel channel = Channels.incoming(listener.uri(), listener.accept(FOREVER));
        session.listening("");
        return channel;
    }

    private static void receive(RunOptions options, MigrationChannel channel, Optional<BlockResume.Reconnect> resume,
                                PrebuiltMachine prebuilt, UartSink console, IncomingMigrationPlan.Starter starter)
            throws IOException {
        IncomingMigrationPlan plan = new IncomingMigrationPlan(options.drives());
        if (options.machine().equals("none")) {
            plan.receiveDiskOnly(channel, resume, starter);
        } else {
            plan.receiveGuest((disks, linux) -> prebuilt.takeOr(linux, !disks.isEmpty(),
                            () -> incomingMachine(options, console, disks, linux)),
                    driveIds(options), channel, resume, starter);
        }
    }

    private static String reason(Exception e) {
        return e.getMessage() == null ? e.toString() : e.getMessage();
    }

    private static MachineSpec machineSpec(RunOptions options) {
        WorkloadSettings w = options.workload();
        GuestWorkload workload = new GuestWorkload(w.memBytesPerSecond(), w.bytesPerSecond(), 0, w.blockSize(), w.readPercent(),
                8, 1000, w.seed());
        List<DiskSpec> disks = options.drives().stream().map(DriveSpec::diskSpec).toList();
        return new MachineSpec(options.memoryBytes(), options.vcpus(), disks, workload, false);
    }

    private static List<String> driveIds(RunOptions options) {
        return options.drives().stream().map(DriveSpec::id).toList();
    }

    private static void serve(MonitorEndpoint monitor, VmSession session) {
        try {
            monitor.serve(session);
        } catch (IOException e) {
            LOG.warn("monitor stopped: {}", e.getMessage());
        } finally {
            // A console monitor that reached end of input (stdin closed) quits the VM, as QEMU's does.
            if (monitor instanceof dev.ferry.monitor.hmp.ConsoleMonitor) {
                session.quit();
            }
        }
    }
}
