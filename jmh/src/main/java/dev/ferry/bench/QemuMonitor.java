package dev.ferry.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A QEMU human monitor on a unix socket: sends one command line, returns what QEMU printed until
 * its next {@code (qemu)} prompt, with the line-editing escapes QEMU echoes removed.
 */
final class QemuMonitor implements AutoCloseable {

    private static final String PROMPT = "(qemu) ";

    private final SocketChannel channel;

    private QemuMonitor(SocketChannel channel) {
        this.channel = channel;
    }

    /** Connects once QEMU has made its socket, waiting until {@code deadlineNanos}. */
    static QemuMonitor connect(Path socket, long deadlineNanos) throws IOException, InterruptedException, BenchException {
        QemuMonitor monitor = new QemuMonitor(QemuSocket.connect(socket, "monitor", deadlineNanos));
        monitor.readUntilPrompt();
        return monitor;
    }

    /** Runs {@code command} and returns its output. */
    String run(String command) throws IOException {
        send(command);
        String out = readUntilPrompt();
        int echoed = out.indexOf('\n');
        return echoed < 0 ? "" : out.substring(echoed + 1);
    }

    /** Asks QEMU to exit; it closes the monitor without another prompt. */
    void quit() throws IOException {
        send("quit");
    }

    private void send(String command) throws IOException {
        ByteBuffer line = ByteBuffer.wrap((command + "\n").getBytes(StandardCharsets.UTF_8));
        while (line.hasRemaining()) {
            channel.write(line);
        }
    }

    private String readUntilPrompt() throws IOException {
        StringBuilder text = new StringBuilder();
        ByteBuffer buffer = ByteBuffer.allocate(8192);
        while (text.lastIndexOf(PROMPT) < 0 || text.lastIndexOf(PROMPT) != text.length() - PROMPT.length()) {
            buffer.clear();
            if (channel.read(buffer) < 0) {
                throw new IOException("QEMU closed its monitor");
            }
            text.append(new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8));
        }
        String clean = text.substring(0, text.length() - PROMPT.length())
                .replaceAll("\u001b\\[[0-9;]*[A-Za-z]", "").replace("\r", "");
        return clean;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
