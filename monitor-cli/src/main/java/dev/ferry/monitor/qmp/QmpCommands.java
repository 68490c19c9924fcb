package dev.ferry.monitor.qmp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ferry.monitor.hmp.DriveInfo;
import dev.ferry.monitor.hmp.Hmp;
import dev.ferry.monitor.hmp.MigrateRequest;
import dev.ferry.monitor.hmp.MigrationCapabilities;
import dev.ferry.monitor.hmp.MigrationInfo;
import dev.ferry.monitor.hmp.MigrationParameters;
import dev.ferry.monitor.hmp.MonitorException;
import dev.ferry.monitor.hmp.RunState;
import dev.ferry.monitor.hmp.VmControl;
import dev.ferry.monitor.hmp.Version;
import dev.ferry.savevm.FrameChecksumMode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The QMP commands a migration tool uses, in QEMU's names and with QEMU's argument and result
 * members. Each answers a JSON value or throws a {@link QmpError}; refusals of the VM
 * ({@link MonitorException}) become GenericError with the same one line HMP prints.
 */
final class QmpCommands {

    /** One command: its arguments object in, its return value out. */
    @FunctionalInterface
    interface Handler {
        JsonNode run(ObjectNode arguments) throws QmpError, MonitorException;
    }

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final int PAGE_SIZE = 4096;

    private final VmControl control;
    private final Map<String, Handler> handlers = new LinkedHashMap<>();

    QmpCommands(VmControl control) {
        this.control = control;
        handlers.put("query-status", args -> status());
        handlers.put("query-migrate", args -> migrate(control.migrationInfo()));
        handlers.put("query-block", args -> block());
        handlers.put("query-version", args -> version());
        handlers.put("query-commands", args -> commands());
        handlers.put("migrate", this::startMigration);
        handlers.put("migrate_cancel", args -> cancel());
        handlers.put("migrate-incoming", args -> {
            control.migrateIncoming(string(args, "uri"));
            return empty();
        });
        handlers.put("migrate-set-parameters", this::setParameters);
        handlers.put("query-migrate-parameters", args -> parameters());
        handlers.put("migrate-set-capabilities", this::setCapabilities);
        handlers.put("query-migrate-capabilities", args -> capabilities());
        handlers.put("stop", args -> {
            control.stop();
            return empty();
        });
        handlers.put("cont", args -> {
            control.cont();
            return empty();
        });
        // The connection quits the VM itself, once the reply and the SHUTDOWN event are out.
        handlers.put("quit", args -> empty());
        handlers.put("human-monitor-command", args -> human(string(args, "command-line")));
    }

    JsonNode run(String command, ObjectNode arguments) throws QmpError {
        Handler handler = handlers.get(command);
        if (handler == null) {
            throw new QmpError(QmpError.Kind.CommandNotFound, "The command " + command + " has not been found");
        }
        try {
            return handler.run(arguments);
        } catch (MonitorException e) {
            throw QmpError.generic(e.getMessage());
        } catch (IllegalArgumentException e) {
            throw QmpError.generic(e.getMessage());
        }
    }

    private JsonNode status() {
        RunState state = control.runState();
        return NODES.objectNode().put("status", state.word()).put("singlestep", false).put("running", state == RunState.RUNNING);
    }

    /** QEMU's MigrationInfo: nothing at all while no migration ran, as QEMU answers. */
    static ObjectNode migrate(MigrationInfo info) {
        ObjectNode result = NODES.objectNode();
        if (info.status().equals("none")) {
            return result;
        }
        result.put("status", info.status());
        info.totalTime().ifPresent(t -> result.put("total-time", t.toMillis()));
        info.started().ifPresent(start -> result.put("x-start-after-ack", start.afterAck().toMillis())
                .put("x-started-at", start.at().toString()));
        info.source().ifPresent(source -> {
            source.expectedDowntime().ifPresent(d -> result.put("expected-downtime", d.toMillis()));
            source.downtime().ifPresent(d -> result.put("downtime", d.toMillis()));
            source.stats().pausedAt().ifPresent(at -> result.put("x-paused-at", at.toString()));
            result.put("setup-time", source.setupTime().toMillis());
            result.set("ram", transfer(source.ram()).put("mbps", source.mbps()).put("dirty-sync-count", source.dirtySyncCount())
                    .put("page-size", PAGE_SIZE));
            source.disk().ifPresent(disk -> result.set("disk", transfer(disk)));
        });
        info.failure().ifPresent(f -> result.put("error-desc", f));
        return result;
    }

    private static ObjectNode transfer(MigrationInfo.Transfer transfer) {
        return NODES.objectNode().put("transferred", transfer.transferred()).put("remaining", transfer.remaining())
                .put("total", transfer.total());
    }

    private JsonNode block() {
        ArrayNode drives = NODES.arrayNode();
        for (DriveInfo drive : control.drives()) {
            ObjectNode image = NODES.objectNode().put("filename", drive.path()).put("format", drive.format())
                    .put("virtual-size", drive.size());
            ObjectNode inserted = NODES.objectNode().put("file", drive.path()).put("ro", drive.readOnly()).put("drv", drive.format())
                    .put("encrypted", false).put("backing_file_depth", drive.backing().isPresent() ? 1 : 0);
            drive.backing().ifPresent(b -> {
                inserted.put("backing_file", b);
                image.put("backing-filename", b);
            });
            inserted.set("image", image);
            ObjectNode info = NODES.objectNode().put("device", drive.id()).put("qdev", drive.id()).put("type", "unknown")
                    .put("removable", false).put("locked", false);
            info.set("inserted", inserted);
            drives.add(info);
        }
        return drives;
    }

    /** QEMU's VersionInfo with Ferry's numbers; the greeting carries it too. */
    static ObjectNode version() {
        String[] numbers = Version.number().split("[.-]");
        ObjectNode qemu = NODES.objectNode();
        List<String> names = List.of("major", "minor", "micro");
        for (int i = 0; i < names.size(); i++) {
            qemu.put(names.get(i), i < numbers.length && numbers[i].matches("\\d+") ? Integer.parseInt(numbers[i]) : 0);
        }
        ObjectNode result = NODES.objectNode();
        result.set("qemu", qemu);
        return result.put("package", "ferry " + Version.number());
    }

    private JsonNode commands() {
        ArrayNode list = NODES.arrayNode();
        list.add(NODES.objectNode().put("name", "qmp_capabilities"));
        handlers.keySet().forEach(name -> list.add(NODES.objectNode().put("name", name)));
        return list;
    }

    private JsonNode startMigration(ObjectNode args) throws QmpError, MonitorException {
        boolean blk = bool(args, "blk", false);
        boolean inc = bool(args, "inc", false);
        MigrateRequest.StorageCopy storage = inc ? MigrateRequest.StorageCopy.INCREMENTAL
                : blk ? MigrateRequest.StorageCopy.FULL : MigrateRequest.StorageCopy.NONE;
        control.migrate(new MigrateRequest(string(args, "uri"), storage, List.of(), true, bool(args, "resume", false)));
        return empty();
    }

    /** QEMU's migrate_cancel succeeds when nothing runs; so does this. */
    private JsonNode cancel() {
        try {
            control.cancelMigration();
        } catch (MonitorException nothingRuns) {
            // Nothing to cancel is not an error in QMP.
        }
        return empty();
    }

    private JsonNode setParameters(ObjectNode args) throws QmpError {
        MigrationParameters p = control.parameters();
        for (Map.Entry<String, JsonNode> member : args.properties()) {
            JsonNode value = member.getValue();
            p = switch (member.getKey()) {
                case "max-bandwidth" -> p.withMaxBandwidth(integer(member.getKey(), value));
                case "downtime-limit" -> p.withDowntimeLimit(Duration.ofMillis(integer(member.getKey(), value)));
                case "block-incremental" -> p.withBlockIncremental(bool(member.getKey(), value));
                case "frame-checksum" -> p.withFrameChecksum(frameChecksum(value));
                default -> throw QmpError.generic("Parameter '" + member.getKey() + "' is unexpected");
            };
        }
        control.setParameters(p);
        return empty();
    }

    private JsonNode parameters() {
        MigrationParameters p = control.parameters();
        return NODES.objectNode().put("max-bandwidth", p.maxBandwidth()).put("downtime-limit", p.downtimeLimit().toMillis())
                .put("block-incremental", p.blockIncremental()).put("frame-checksum", p.frameChecksum().toString());
    }

    private JsonNode setCapabilities(ObjectNode args) throws QmpError, MonitorException {
        JsonNode list = args.get("capabilities");
        if (list == null || !list.isArray()) {
            throw QmpError.generic("Parameter 'capabilities' is missing");
        }
        MigrationCapabilities caps = control.capabilities();
        for (JsonNode entry : list) {
            JsonNode name = entry.get("capability");
            if (name == null || !name.isTextual()) {
                throw QmpError.generic("Parameter 'capability' is missing");
            }
            caps = caps.with(name.asText(), bool("state", entry.get("state")));
        }
        control.setCapabilities(caps);
        return empty();
    }

    private JsonNode capabilities() {
        MigrationCapabilities caps = control.capabilities();
        ArrayNode list = NODES.arrayNode();
        MigrationCapabilities.NAMES.forEach(name -> list.add(NODES.objectNode().put("capability", name).put("state", caps.get(name))));
        return list;
    }

    private JsonNode human(String line) {
        StringWriter text = new StringWriter();
        new Hmp(control, new PrintWriter(text), false).execute(line);
        return NODES.textNode(text.toString());
    }

    private static ObjectNode empty() {
        return NODES.objectNode();
    }

    private static String string(ObjectNode args, String name) throws QmpError {
        JsonNode value = args.get(name);
        if (value == null) {
            throw QmpError.generic("Parameter '" + name + "' is missing");
        }
        if (!value.isTextual()) {
            throw QmpError.generic("Parameter '" + name + "' expects string");
        }
        return value.asText();
    }

    private static boolean bool(ObjectNode args, String name, boolean absent) throws QmpError {
        JsonNode value = args.get(name);
        return value == null ? absent : bool(name, value);
    }

    private static boolean bool(String name, JsonNode value) throws QmpError {
        if (value == null || !value.isBoolean()) {
            throw QmpError.generic("Parameter '" + name + "' expects boolean");
        }
        return value.asBoolean();
    }

    private static FrameChecksumMode frameChecksum(JsonNode value) throws QmpError {
        if (!value.isTextual()) {
            throw QmpError.generic("Parameter 'frame-checksum' expects string");
        }
        try {
            return FrameChecksumMode.of(value.asText());
        } catch (IllegalArgumentException e) {
            throw QmpError.generic("Parameter 'frame-checksum': " + e.getMessage());
        }
    }

    private static long integer(String name, JsonNode value) throws QmpError {
        if (!value.isIntegralNumber() || !value.canConvertToLong()) {
            throw QmpError.generic("Parameter '" + name + "' expects integer");
        }
        return value.asLong();
    }
}
