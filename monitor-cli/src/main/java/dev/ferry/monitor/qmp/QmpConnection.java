package dev.ferry.monitor.qmp;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import dev.ferry.monitor.hmp.VmControl;

/**
 * One QMP client: the greeting, capabilities negotiation, then commands and their replies (with
 * the client's {@code id} echoed) and asynchronous events, each one JSON object on its own line.
 */
final class QmpConnection {

    /** The server owns the socket: closing a reader or writer must not close it under a pending reply. */
    private static final ObjectMapper JSON = JsonMapper.builder()
            .disable(StreamReadFeature.AUTO_CLOSE_SOURCE).disable(StreamWriteFeature.AUTO_CLOSE_TARGET).build();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private final InputStream in;
    private final OutputStream out;
    private final VmControl control;
    private final QmpCommands commands;
    private boolean negotiated;

    QmpConnection(SocketChannel channel, VmControl control) {
        this.in = Channels.newInputStream(channel);
        this.out = Channels.newOutputStream(channel);
        this.control = control;
        this.commands = new QmpCommands(control);
    }

    /** Serves until the client leaves (true) or quits the VM (false). */
    boolean converse() throws IOException {
        send(greeting());
        try (QmpEvents events = new QmpEvents(control, this::send);
             MappingIterator<JsonNode> requests = JSON.readerFor(JsonNode.class).readValues(in)) {
            while (requests.hasNextValue()) {
                if (!handle(requests.nextValue(), events)) {
                    return false;
                }
            }
            return true;
        } catch (JsonProcessingException e) {
            // A stream that is not JSON cannot be resynchronised: say why, and drop the client.
            send(error(null, QmpError.generic("JSON parse error, " + e.getOriginalMessage())));
            return true;
        }
    }

    private boolean handle(JsonNode request, QmpEvents events) throws IOException {
        JsonNode id = request.isObject() ? request.get("id") : null;
        try {
            if (!request.isObject()) {
                throw QmpError.generic("QMP input must be a JSON object");
            }
            JsonNode execute = request.get("execute");
            if (execute == null || !execute.isTextual()) {
                throw QmpError.generic("QMP input lacks member 'execute'");
            }
            JsonNode arguments = request.get("arguments");
            if (arguments != null && !arguments.isObject()) {
                throw QmpError.generic("QMP input member 'arguments' must be an object");
            }
            ObjectNode args = arguments == null ? NODES.objectNode() : (ObjectNode) arguments;
            String command = execute.asText();
            if (command.equals("qmp_capabilities")) {
                if (negotiated) {
                    throw new QmpError(QmpError.Kind.CommandNotFound, "Capabilities negotiation is already complete, command ignored");
                }
                negotiated = true;
                send(reply(id, NODES.objectNode()));
                events.start();
                return true;
            }
            if (!negotiated) {
                throw new QmpError(QmpError.Kind.CommandNotFound, "Expecting capabilities negotiation with 'qmp_capabilities'");
            }
            if (command.equals("quit")) {
                events.close(); // this connection says SHUTDOWN itself, after the reply
            }
            send(reply(id, commands.run(command, args)));
            if (command.equals("quit")) {
                send(QmpEvents.event("SHUTDOWN", NODES.objectNode().put("guest", false).put("reason", "host-qmp-quit")));
                control.quit();
                return false;
            }
        } catch (QmpError e) {
            send(error(id, e));
        }
        return true;
    }

    private static ObjectNode greeting() {
        ObjectNode qmp = NODES.objectNode();
        qmp.set("version", QmpCommands.version());
        qmp.set("capabilities", NODES.arrayNode());
        ObjectNode greeting = NODES.objectNode();
        greeting.set("QMP", qmp);
        return greeting;
    }

    private static ObjectNode reply(JsonNode id, JsonNode result) {
        ObjectNode reply = NODES.objectNode();
        reply.set("return", result);
        if (id != null) {
            reply.set("id", id);
        }
        return reply;
    }

    private static ObjectNode error(JsonNode id, QmpError e) {
        ObjectNode error = NODES.objectNode().put("class", e.kind().name()).put("desc", e.getMessage());
        ObjectNode reply = NODES.objectNode();
        reply.set("error", error);
        if (id != null) {
            reply.set("id", id);
        }
        return reply;
    }

    /** One object per line, as QEMU writes them; events come from another thread. */
    private synchronized void send(JsonNode message) throws IOException {
        out.write((JSON.writeValueAsString(message) + "\r\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }
}
