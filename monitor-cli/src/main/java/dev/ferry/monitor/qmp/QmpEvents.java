package dev.ferry.monitor.qmp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ferry.monitor.hmp.RunState;
import dev.ferry.monitor.hmp.VmControl;
import java.io.IOException;
import java.time.Instant;

/**
 * The asynchronous events of one QMP client: STOP and RESUME when the VM stops or runs again,
 * SHUTDOWN when it ends, and MIGRATION on each status change while the {@code events} capability
 * is on (as QEMU gates it). It samples the VM every 20 ms, so it stays out of the VM's code paths;
 * a status that lasts less than that may be skipped.
 */
final class QmpEvents implements AutoCloseable {

    /** Where events go: the connection's serialised writer. */
    @FunctionalInterface
    interface Sink {
        void send(JsonNode event) throws IOException;
    }

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final long PERIOD_MILLIS = 20;

    private final VmControl control;
    private final Sink sink;
    private volatile Thread thread;
    private volatile boolean closed;

    QmpEvents(VmControl control, Sink sink) {
        this.control = control;
        this.sink = sink;
    }

    /** From now on (after capabilities negotiation) events flow. */
    void start() {
        thread = Thread.ofPlatform().daemon().name("qmp-events").start(this::watch);
    }

    private void watch() {
        RunState state = control.runState();
        String migration = control.migrationInfo().status();
        try {
            while (!closed) {
                Thread.sleep(PERIOD_MILLIS);
                String nowMigration = control.migrationInfo().status();
                if (!nowMigration.equals(migration) && control.capabilities().events()) {
                    sink.send(event("MIGRATION", NODES.objectNode().put("status", nowMigration)));
                }
                migration = nowMigration;
                RunState now = control.runState();
                if (now != state) {
                    if (now == RunState.RUNNING) {
                        sink.send(event("RESUME", NODES.objectNode()));
                    } else if (now == RunState.SHUTDOWN) {
                        sink.send(event("SHUTDOWN", NODES.objectNode().put("guest", false).put("reason", "host-signal")));
                    } else if (state == RunState.RUNNING) {
                        sink.send(event("STOP", NODES.objectNode()));
                    }
                    state = now;
                }
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
        closed = true;
        Thread running = thread;
        if (running != null) {
            running.interrupt();
        }
    }
}
