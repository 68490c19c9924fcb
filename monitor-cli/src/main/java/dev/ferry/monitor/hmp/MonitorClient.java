package dev.ferry.monitor.hmp;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Talks to a {@link SocketMonitor} the way an operator's script would: send a line, read up to
 * the next prompt. {@code ferry demo} and the end-to-end tests drive VMs with it.
 */
public final class MonitorClient implements AutoCloseable {

    private final Path path;
    private final SocketChannel channel;
    private final ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
    private final StringBuilder pending = new StringBuilder();

    private MonitorClient(Path path, SocketChannel channel) {
        this.path = path;
        this.channel = channel;
    }

    /** Connects, retrying until the socket exists or {@code timeout} passes. */
    public static MonitorClient connect(Path path, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
                try {
                    channel.connect(UnixDomainSocketAddress.of(path));
                } catch (IOException e) {
                    channel.close();
                    throw e;
                }
                MonitorClient client = new MonitorClient(path, channel);
                client.readToPrompt();
                return client;
            } catch (IOException e) {
                if (System.nanoTime() > deadline) {
                    throw new IOException("monitor unix:" + path + ": cannot connect: " + e.getMessage(), e);
                }
                sleep();
            }
        }
    }

    /** Runs one command; returns its output lines (without the prompt). */
    public List<String> command(String line) throws IOException {
        channel.write(ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8)));
        return readToPrompt().lines().toList();
    }

    /** Sends a command after which the VM goes away (quit): reads until the connection closes. */
    public String commandUntilClosed(String line) throws IOException {
        channel.write(ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8)));
        StringBuilder text = new StringBuilder(pending);
        pending.setLength(0);
        while (fill() >= 0) {
            text.append(drain());
        }
        return text.toString();
    }

    private String readToPrompt() throws IOException {
        while (true) {
            int at = pending.indexOf(MonitorEndpoint.PROMPT);
            if (at >= 0) {
                String text = pending.substring(0, at);
                pending.delete(0, at + MonitorEndpoint.PROMPT.length());
                return text;
            }
            if (fill() < 0) {
                throw new IOException("monitor unix:" + path + " closed the connection");
            }
            pending.append(drain());
        }
    }

    private int fill() throws IOException {
        buffer.clear();
        return channel.read(buffer);
    }

    private String drain() {
        buffer.flip();
        return StandardCharsets.UTF_8.decode(buffer).toString();
    }

    private static void sleep() throws IOException {
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while connecting to the monitor", e);
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
