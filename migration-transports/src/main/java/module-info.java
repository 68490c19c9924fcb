/**
 * Byte channels for the migration stream, chosen by URI: tcp, unix, fd and exec.
 *
 * <p>fd: and exec: call libc through the FFM API: run with
 * {@code --enable-native-access=dev.ferry.transport} (the ferry launcher passes it).
 */
module dev.ferry.transport {
    requires org.slf4j;

    exports dev.ferry.transport;        // Transports, MigrationUri, MigrationChannel, MigrationListener
}
