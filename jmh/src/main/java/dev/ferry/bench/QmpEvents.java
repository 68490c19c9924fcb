package dev.ferry.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The events of a QEMU's QMP socket, each with the time QEMU stamped on it, read by a thread of
 * its own from the moment of {@link #connect}: when its vCPUs stopped (STOP) or ran again (RESUME)
 * on the host's clock, which both of a migration's processes on one host share.
 */
final class QmpEvents implements AutoCloseable {

    private static final Pattern EVENT = Pattern.compile("\"event\":\\s*\"([A-Z_]+)\"");
    private static final Pattern STAMP = Pattern.compile("\"seconds\":\\s*(\\d+),\\s*\"microseconds\":\\s*(\\d+)");

    /** One event as QEMU sent it. */
    record Event(String name, Instant at) {
    }

    private final SocketChannel channel;
    private final List<Event> events = new ArrayList<>();
    private final Thread reader;

    private QmpEvents(SocketChannel channel) {
        this.channel = channel;
        this.reader = Thread.ofPlatform().daemon().name("qmp-events").start(this::read);
    }

    /** Connects once QEMU has made its socket (waiting until {@code deadlineNanos}) and asks for events. */
    static QmpEvents connect(Path socket, long deadlineNanos) throws IOException, InterruptedException, BenchException {
        SocketChannel channel = QemuSocket.connect(socket, "QMP", deadlineNanos);
        ByteBuffer hello = ByteBuffer.wrap("{\"execute\": \"qmp_capabilities\"}\n".getBytes(StandardCharsets.UTF_8));
        while (hello.hasRemaining()) {
            channel.write(hello);
        }
        return new QmpEvents(channel);
    }

    /** Reads event lines until QEMU closes the socket; other lines (greeting, replies) are skipped. */
    private void read() {
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel),
                StandardCharsets.UTF_8))) {
            for (String line; (line = lines.readLine()) != null; ) {
                parse(line).ifPresent(event -> {
                    synchronized (events) {
                        events.add(event);
                    }
                });
            }
        } catch (IOException e) {
            // Closed: QEMU quit, or this side did.
        }
    }

    /** The event of one QMP line, if it is one. */
    static Optional<Event> parse(String line) {
        Matcher name = EVENT.matcher(line);
        Matcher stamp = STAMP.matcher(line);
        if (!name.find() || !stamp.find()) {
            return Optional.empty();
        }
        return Optional.of(new Event(name.group(1),
                Instant.ofEpochSecond(Long.parseLong(stamp.group(1)), Long.parseLong(stamp.group(2)) * 1000)));
    }

    /** The time of the last {@code name} event so far, waiting until {@code deadlineNanos} for a first one. */
    Instant last(String name, long deadlineNanos) throws InterruptedException, BenchException {
        while (true) {
            synchronized (events) {
                for (Event event : events.reversed()) {
                    if (event.name().equals(name)) {
                        return event.at();
                    }
                }
            }
            if (System.nanoTime() > deadlineNanos) {
                throw new BenchException("QEMU sent no " + name + " event in time");
            }
            Thread.sleep(5);
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
        try {
            reader.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
