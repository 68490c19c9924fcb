package dev.ferry.monitor.vm;

import dev.ferry.savevm.MigrationChannel;
import dev.ferry.transport.MigrationUri;

/**
 * Wraps a transport's channel for savevm: sockets and fds carry the destination's answer back on
 * the same channel; an exec pipe is one-way, so that migration has no return path. Each keeps the
 * transport's own half-close (TLS sends close_notify before the socket's output ends).
 */
final class Channels {

    private Channels() {
    }

    static MigrationChannel outgoing(MigrationUri uri, dev.ferry.transport.MigrationChannel channel) {
        return uri instanceof MigrationUri.Exec ? MigrationChannel.writeOnly(channel) : MigrationChannel.duplex(channel, channel::shutdownOutput);
    }

    static MigrationChannel incoming(MigrationUri uri, dev.ferry.transport.MigrationChannel channel) {
        return uri instanceof MigrationUri.Exec ? MigrationChannel.readOnly(channel) : MigrationChannel.duplex(channel, channel::shutdownOutput);
    }
}
