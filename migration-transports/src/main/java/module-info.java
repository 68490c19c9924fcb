/**
 * Byte channels for the migration stream, chosen by URI: tcp, unix, fd and exec; tcp and unix
 * optionally inside TLS 1.3 with x509 mutual authentication ({@link dev.ferry.transport.TlsCredentials}).
 *
 * <p>fd: and exec: call libc through the FFM API: run with
 * {@code --enable-native-access=dev.ferry.transport} (the ferry launcher passes it).
 */
module dev.ferry.transport {
    requires org.slf4j;

    exports dev.ferry.transport;        // Transports, MigrationUri, MigrationChannel, MigrationListener
}
