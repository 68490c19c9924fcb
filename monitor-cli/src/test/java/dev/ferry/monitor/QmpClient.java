package dev.ferry.monitor;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** A raw QMP client for tests: commands answered in order, events collected as they come between answers. */
final class QmpClient {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final BufferedReader in;
    private final OutputStream out;
    private final List<String> events = new ArrayList<>();

    /** A TCP port free a moment ago, for {@code --qmp tcp:127.0.0.1:PORT,server,nowait}. */
    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** Reads the greeting; does not negotiate capabilities. */
    QmpClient(Socket socket) throws IOException {
        socket.setSoTimeout(60_000);
        in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
        out = socket.getOutputStream();
        assertTrue(in.readLine().startsWith("{\"QMP\":"));
    }

    void execute(String command) throws IOException {
        execute(command, 1);
    }

    /** Sends {@code commands} (lines) at once and asserts each of their {@code answers} is a return. */
    void execute(String commands, int answers) throws IOException {
        send(commands);
        for (int i = 0; i < answers; i++) {
            JsonNode answer = answer();
            assertTrue(answer.has("return"), commands + " answered " + answer);
        }
    }

    /** Sends one command and gives its answer, return or error, as it came. */
    JsonNode ask(String command) throws IOException {
        send(command);
        return answer();
    }

    void awaitEvent(String name, String status) throws IOException {
        String wanted = status == null ? name : name + " " + status;
        while (!events.contains(wanted)) {
            next();
        }
    }

    List<String> events() {
        return events;
    }

    JsonNode next() throws IOException {
        String line = in.readLine();
        assertTrue(line != null, "the QMP connection closed; events so far: " + events);
        JsonNode node = JSON.readTree(line);
        if (node.has("event")) {
            JsonNode status = node.path("data").path("status");
            events.add(node.get("event").asText() + (status.isMissingNode() ? "" : " " + status.asText()));
        }
        return node;
    }

    private void send(String commands) throws IOException {
        out.write((commands + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private JsonNode answer() throws IOException {
        JsonNode answer = next();
        while (answer.has("event")) {
            answer = next();
        }
        return answer;
    }
}
