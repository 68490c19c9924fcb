package dev.ferry.monitor.hmp;

import dev.ferry.savevm.FrameChecksumMode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * The monitor's command table, HMP-compatible where QEMU had the command. Each command is a
 * picocli command object; {@link Hmp} feeds it one line at a time.
 */
final class HmpCommands {

    private HmpCommands() {
    }

    /** The root: holds what every command needs. */
    @Command(name = "", subcommands = {
        Help.class, Info.class, Stop.class, Cont.class, Migrate.class, MigrateCancel.class, MigrateIncoming.class,
        MigrateSetSpeed.class, MigrateSetDowntime.class, MigrateSetParameter.class, MigrateSetCapability.class,
        GuestVerify.class, Quit.class})
    static final class Root {
        final VmControl control;
        final Hmp hmp;

        Root(VmControl control, Hmp hmp) {
            this.control = control;
            this.hmp = hmp;
        }
    }

    /** A command that runs against the VM and prints lines. */
    abstract static class Action implements Callable<Integer> {
        @ParentCommand
        Root root;

        @Override
        public final Integer call() throws MonitorException {
            run(root.control);
            return 0;
        }

        abstract void run(VmControl control) throws MonitorException;

        void print(String line) {
            root.hmp.print(line);
        }
    }

    @Command(name = "help", aliases = "?", description = "List the commands, or show one command's usage (help info migrate).")
    static final class Help extends Action {
        @Parameters(arity = "0..2", paramLabel = "COMMAND")
        List<String> command = new ArrayList<>();

        @Override
        void run(VmControl control) throws MonitorException {
            root.hmp.help(command);
        }
    }

    @Command(name = "info", description = "Show status, migrate, migrate_parameters, migrate_capabilities, block, version or guest information.",
            subcommands = {InfoStatus.class, InfoMigrate.class, InfoMigrateParameters.class, InfoMigrateCapabilities.class,
                InfoBlock.class, InfoVersion.class, InfoGuest.class})
    static final class Info {
        @ParentCommand
        Root root;
    }

    /** A sub-command of {@code info}. */
    abstract static class InfoAction implements Callable<Integer> {
        @ParentCommand
        Info info;

        @Override
        public final Integer call() throws MonitorException {
            lines(info.root.control).forEach(info.root.hmp::print);
            return 0;
        }

        abstract List<String> lines(VmControl control) throws MonitorException;
    }

    @Command(name = "status", description = "Whether the VM runs.")
    static final class InfoStatus extends InfoAction {
        @Override
        List<String> lines(VmControl control) {
            List<String> lines = new ArrayList<>();
            lines.add("VM status: " + control.runState().describe());
            control.incomingUri().ifPresent(uri -> lines.add("incoming: waiting on " + uri));
            return lines;
        }
    }

    @Command(name = "migrate", description = "The running or last migration's statistics, outgoing or incoming.")
    static final class InfoMigrate extends InfoAction {
        @Override
        List<String> lines(VmControl control) {
            List<String> lines = new ArrayList<>(MigrationReport.lines(control.migrationInfo()));
            lines.addAll(control.migrationDiskLines());
            return lines;
        }
    }

    @Command(name = "migrate_parameters", description = "The migration parameters (migrate_set_parameter).")
    static final class InfoMigrateParameters extends InfoAction {
        @Override
        List<String> lines(VmControl control) {
            MigrationParameters p = control.parameters();
            return List.of("max-bandwidth: " + p.maxBandwidth() + " bytes/second" + (p.maxBandwidth() == Long.MAX_VALUE ? " (unlimited)" : ""),
                    "downtime-limit: " + MigrationReport.millis(p.downtimeLimit()),
                    "block-incremental: " + onOff(p.blockIncremental()),
                    "frame-checksum: " + p.frameChecksum());
        }
    }

    @Command(name = "migrate_capabilities", description = "The migration capabilities (migrate_set_capability).")
    static final class InfoMigrateCapabilities extends InfoAction {
        @Override
        List<String> lines(VmControl control) {
            MigrationCapabilities caps = control.capabilities();
            return MigrationCapabilities.NAMES.stream().map(name -> name + ": " + onOff(caps.get(name))).toList();
        }
    }

    @Command(name = "version", description = "Ferry's version.")
    static final class InfoVersion extends InfoAction {
        @Override
        List<String> lines(VmControl control) {
            return List.of(Version.text());
        }
    }

    static String onOff(boolean on) {
        return on ? "on" : "off";
    }

    @Command(name = "block", description = "The VM's drives, or one drive.")
    static final class InfoBlock extends InfoAction {
        @Parameters(arity = "0..1", paramLabel = "DEVICE")
        String device;

        @Override
        List<String> lines(VmControl control) throws MonitorException {
            List<DriveInfo> drives = control.drives();
            if (drives.isEmpty() && control.runState() == RunState.INMIGRATE) {
                return List.of("the drives open when the incoming migration arrives");
            }
            List<String> lines = drives.stream().filter(d -> device == null || d.id().equals(device)).map(DriveInfo::line).toList();
            if (lines.isEmpty() && device != null) {
                throw new MonitorException("info block: no drive '" + device + "' (see 'info block')");
            }
            return lines;
        }
    }

    @Command(name = "guest", description = "The built-in guest's counters.")
    static final class InfoGuest extends InfoAction {
        @Override
        List<String> lines(VmControl control) {
            return control.guestLines();
        }
    }

    @Command(name = "stop", aliases = "s", description = "Pause the VM.")
    static final class Stop extends Action {
        @Override
        void run(VmControl control) throws MonitorException {
            control.stop();
        }
    }

    @Command(name = "cont", aliases = "c", description = "Resume the VM.")
    static final class Cont extends Action {
        @Override
        void run(VmControl control) throws MonitorException {
            control.cont();
        }
    }

    @Command(name = "migrate", description = "Migrate the VM to URI (tcp:HOST:PORT, unix:PATH, fd:N, exec:COMMAND).")
    static final class Migrate extends Action {
        @Option(names = "-d", description = "Return at once; follow with 'info migrate'.")
        boolean detach;

        @Option(names = "-b", description = "Copy the disks in full.")
        boolean full;

        @Option(names = "-i", description = "Copy only what the disks' top copy-on-write layer holds.")
        boolean incremental;

        @Option(names = "--drives", split = ",", paramLabel = "ID", description = "Copy only these drives (default: every writable drive).")
        List<String> drives = new ArrayList<>();

        @Option(names = "-r", description = "Resume the precopy-paused migration on URI (its destination runs --incoming URI,resume=on).")
        boolean resume;

        @Parameters(arity = "1..*", paramLabel = "URI", description = "Where to; an exec: command may be unquoted.")
        List<String> uri;

        @Override
        void run(VmControl control) throws MonitorException {
            if (full && incremental) {
                throw new MonitorException("migrate: -b and -i exclude each other (full or incremental storage copy)");
            }
            if (!drives.isEmpty() && !full && !incremental) {
                throw new MonitorException("migrate: --drives needs -b or -i");
            }
            if (resume && (full || incremental || !drives.isEmpty())) {
                throw new MonitorException("migrate: -r resumes the paused migration as it was started; drop -b, -i and --drives");
            }
            MigrateRequest.StorageCopy storage = full ? MigrateRequest.StorageCopy.FULL
                    : incremental ? MigrateRequest.StorageCopy.INCREMENTAL : MigrateRequest.StorageCopy.NONE;
            control.migrate(new MigrateRequest(String.join(" ", uri), storage, drives, detach, resume));
            if (!detach) {
                root.hmp.follow(control);
            }
        }
    }

    @Command(name = "migrate_incoming", description = "Listen on URI for the migration a '-incoming defer' VM waits for.")
    static final class MigrateIncoming extends Action {
        @Parameters(paramLabel = "URI")
        String uri;

        @Override
        void run(VmControl control) throws MonitorException {
            control.migrateIncoming(uri);
        }
    }

    @Command(name = "migrate_set_parameter", description = "Set a migration parameter: max-bandwidth SIZE, downtime-limit MS, block-incremental on|off,"
            + " frame-checksum auto|crc32c|xxh3.")
    static final class MigrateSetParameter extends Action {
        @Parameters(index = "0", paramLabel = "PARAMETER")
        String name;

        @Parameters(index = "1", paramLabel = "VALUE")
        String value;

        @Override
        void run(VmControl control) throws MonitorException {
            MigrationParameters now = control.parameters();
            try {
                control.setParameters(switch (name) {
                    case "max-bandwidth" -> now.withMaxBandwidth(Sizes.parse(value, 'M'));
                    case "downtime-limit" -> now.withDowntimeLimit(Duration.ofMillis(Long.parseLong(value)));
                    case "block-incremental" -> now.withBlockIncremental(parseOnOff(value));
                    case "frame-checksum" -> now.withFrameChecksum(FrameChecksumMode.of(value));
                    default -> throw new MonitorException("migrate_set_parameter: unknown parameter '" + name
                            + "' (Ferry has max-bandwidth, downtime-limit, block-incremental, frame-checksum)");
                });
            } catch (IllegalArgumentException e) {
                throw new MonitorException("migrate_set_parameter: " + name + " '" + value + "': " + e.getMessage());
            }
        }
    }

    @Command(name = "migrate_set_capability", description = "Turn a migration capability on or off: auto-converge, events, block.")
    static final class MigrateSetCapability extends Action {
        @Parameters(index = "0", paramLabel = "CAPABILITY")
        String name;

        @Parameters(index = "1", paramLabel = "on|off")
        String value;

        @Override
        void run(VmControl control) throws MonitorException {
            try {
                control.setCapabilities(control.capabilities().with(name, parseOnOff(value)));
            } catch (IllegalArgumentException e) {
                throw new MonitorException("migrate_set_capability: " + e.getMessage());
            }
        }
    }

    private static boolean parseOnOff(String value) {
        return switch (value) {
            case "on", "true" -> true;
            case "off", "false" -> false;
            default -> throw new IllegalArgumentException("'" + value + "' is not on or off");
        };
    }

    @Command(name = "migrate_cancel", description = "Cancel the running migration; the VM keeps running here.")
    static final class MigrateCancel extends Action {
        @Override
        void run(VmControl control) throws MonitorException {
            control.cancelMigration();
        }
    }

    @Command(name = "migrate_set_speed", description = "Limit migration bandwidth (bytes/s; B/K/M/G/T suffix, bare number = MiB).")
    static final class MigrateSetSpeed extends Action {
        @Parameters(paramLabel = "SIZE")
        String size;

        @Override
        void run(VmControl control) throws MonitorException {
            long bytes;
            try {
                bytes = Sizes.parse(size, 'M');
            } catch (IllegalArgumentException e) {
                throw new MonitorException("migrate_set_speed: " + e.getMessage());
            }
            if (bytes == 0) {
                throw new MonitorException("migrate_set_speed: the speed must be more than 0");
            }
            control.setParameters(control.parameters().withMaxBandwidth(bytes));
        }
    }

    @Command(name = "migrate_set_downtime", description = "Set the longest pause at the switch, in seconds (e.g. 0.3).")
    static final class MigrateSetDowntime extends Action {
        @Parameters(paramLabel = "SECONDS")
        String seconds;

        @Override
        void run(VmControl control) throws MonitorException {
            double value;
            try {
                value = Double.parseDouble(seconds);
            } catch (NumberFormatException e) {
                throw new MonitorException("migrate_set_downtime: '" + seconds + "' is not a number of seconds");
            }
            if (!(value > 0 && value <= MigrationParameters.MAX_DOWNTIME.toSeconds())) {
                throw new MonitorException("migrate_set_downtime: " + seconds + " is out of range (0 < seconds <= 2000)");
            }
            control.setParameters(control.parameters().withDowntimeLimit(Duration.ofNanos(Math.round(value * 1e9))));
        }
    }

    @Command(name = "guest_verify", description = "Ask the built-in guest to verify everything it wrote; prints its verdict.")
    static final class GuestVerify extends Action {
        @Option(names = "--timeout", defaultValue = "60", paramLabel = "SECONDS")
        int timeoutSeconds;

        @Override
        void run(VmControl control) throws MonitorException {
            if (timeoutSeconds < 1 || timeoutSeconds > 3600) {
                throw new MonitorException("guest_verify: --timeout " + timeoutSeconds + " is out of range (1..3600 seconds)");
            }
            print(control.verifyGuest(Duration.ofSeconds(timeoutSeconds)));
        }
    }

    @Command(name = "quit", aliases = "q", description = "Stop the VM and exit.")
    static final class Quit extends Action {
        @Override
        void run(VmControl control) {
            root.hmp.quit();
            control.quit();
        }
    }
}
