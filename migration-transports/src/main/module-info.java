/**
 * Byte channels for the migration stream, chosen by URI: tcp, unix, fd and exec.
 *
 * <p>API: {@link dev.ferry.transport.Transports} opens a {@link dev.ferry.transport.MigrationChannel}
 * (a {@code ByteChannel}, all savevm sees) or a {@link dev.ferry.transport.MigrationListener} for a
 * {@link dev.ferry.transport.MigrationUri}. The {@code fd:} and {@code exec:} channels call libc
 * through the FFM API: run with {@code --enable-native-access=dev.ferry.transport}.
 */
module dev.ferry.transport {
    requires org.slf4j;

    exports dev.ferry.transport;
}
