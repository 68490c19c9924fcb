package dev.ferry.monitor.qmp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ferry.monitor.hmp.RunState;
import dev.ferry.monitor.hmp.VmControl;
import dev.ferry.monitor.hmp.VmListener;
import java.io.IOException;
import java.time.Instant;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * The asynchronous events of one QMP client: STOP and RESUME when the VM stops or runs again,
 * SHUTDOWN when it ends, and MIGRATION on each status change while the {@code events} capability
 * is on (as QEMU gates it). The VM tells it of each change as it happens, so a status that lasts
 * microseconds is still sent, in order; events wait in a queue for the client, so a slow client
 * never holds up the VM or its migration.
 */
final class QmpEvents implements VmListener, AutoCloseable {

    /** Where events go: the connection's serialised writer. */
    @FunctionalInterface
    interface Sink {
        void send(JsonNode event) throws IOException;
    }

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private final VmControl control;
    private final Sink sink;
    private final BlockingQueue<JsonNode> queue = new LinkedBlockingQueue<>();
    private volatile Thread thread;

    QmpEvents(VmControl control, Sink sink) {
        this.control = control;
        this.sink = sink;
    }

    /** From now on (after capabilities negotiation) events flow. */
    void start() {
        control.addListener(this);
        thread = Thread.ofPlatform().daemon().name("qmp-events").start(this::deliver);
    }

    @Override
    public void runStateChanged(RunState from, RunState to) {
        if (to == RunState.RUNNING) {
            queue.add(event("RESUME", NODES.objectNode()));
        } else if (to == RunState.SHUTDOWN) {
            queue.add(event("SHUTDOWN", NODES.objectNode().put("guest", false).put("reason", "host-signal")));
        } else if (from == RunState.RUNNING) {
            queue.add(event("STOP", NODES.objectNode()));
        }
    }

    @Override
    public void migrationStatusChanged(String status) {
        if (control.capabilities().events()) {
            queue.add(event("MIGRATION", NODES.objectNode().put("status", status)));
        }
    }

    private void deliver() {
        try {
            while (true) {
                sink.send(queue.take());
            }
        } catch (InterruptedException | IOException e) {
            // The client left or the connection closes: no more events.
        }
    }

    /** QEMU's event object: name, data, and the host time it happened. */
    static ObjectNode event(String name, ObjectNode data) {
        Instant now = Instant.now();
        ObjectNode event = NODES.objectNode().put("event", name);
        event.set("data", data);
        event.set("timestamp", NODES.objectNode().put("seconds", now.getEpochSecond()).put("microseconds", now.getNano() / 1000));
        return event;
    }

    @Override
    public void close() {
        control.removeListener(this);
        Thread running = thread;
        if (running != null) {
            running.interrupt();
        }
    }
}
