package dev.ferry.bench;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;

/** A QEMU's unix socket (its human monitor or QMP), which QEMU makes a moment after it starts. */
final class QemuSocket {

    private QemuSocket() {
    }

    /** Connects to {@code socket} once QEMU has made it, waiting until {@code deadlineNanos}; {@code what} names it in the failure. */
    static SocketChannel connect(Path socket, String what, long deadlineNanos) throws IOException, InterruptedException, BenchException {
        while (!Files.exists(socket)) {
            if (System.nanoTime() > deadlineNanos) {
                throw new BenchException("QEMU made no " + what + " socket " + socket + " in time");
            }
            Thread.sleep(10);
        }
        SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        channel.connect(UnixDomainSocketAddress.of(socket));
        return channel;
    }
}
