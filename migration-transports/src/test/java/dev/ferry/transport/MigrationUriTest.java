package dev.ferry.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MigrationUriTest {

    @Test
    void parsesEverySchemeAndPrintsItBack() {
        assertEquals(new MigrationUri.Tcp("dst.example", 4444), MigrationUri.parse("tcp:dst.example:4444"));
        assertEquals(new MigrationUri.Tcp("::1", 4444), MigrationUri.parse("tcp:[::1]:4444"));
        assertEquals(new MigrationUri.Unix(Path.of("/run/ferry/mig.sock")), MigrationUri.parse("unix:/run/ferry/mig.sock"));
        assertEquals(new MigrationUri.Fd(7), MigrationUri.parse("fd:7"));
        assertEquals(new MigrationUri.Exec("gzip -c > /tmp/vm.mig"), MigrationUri.parse("exec:gzip -c > /tmp/vm.mig"));
        for (String text : new String[] {"tcp:10.0.0.2:4444", "tcp:[fe80::1]:1", "tcp::4444", "unix:rel/sock", "fd:0",
            "exec:ssh host 'ferry -incoming exec:cat'"}) {
            assertEquals(text, MigrationUri.parse(text).toString());
        }
    }

    @Test
    void emptyHostOrZeroMeansEveryAddress() {
        assertTrue(((MigrationUri.Tcp) MigrationUri.parse("tcp::4444")).anyHost());
        assertTrue(((MigrationUri.Tcp) MigrationUri.parse("tcp:0:0")).anyHost());
        assertFalse(((MigrationUri.Tcp) MigrationUri.parse("tcp:127.0.0.1:4444")).anyHost());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "''                   | empty migration URI",
        "localhost:4444x      | migration URI 'localhost:4444x' has unknown scheme 'localhost'",
        "4444                 | migration URI '4444' has no scheme",
        "rdma:host:4444       | has unknown scheme 'rdma'; expected tcp:HOST:PORT, unix:PATH, fd:N or exec:COMMAND",
        "tcp:host             | migration URI 'tcp:host' has no port",
        "tcp:host:            | migration URI 'tcp:host:' has no port number",
        "tcp:host:http        | has port 'http', which is not a number in 0..65535",
        "tcp:host:65536       | has port '65536', which is not a number in 0..65535",
        "tcp:host:-1          | has port '-1', which is not a number",
        "tcp:::1:4444         | has an IPv6 host that is not in brackets; write tcp:[::1]:PORT",
        "tcp:[::1:4444        | has an IPv6 host without a closing ']'",
        "tcp:[::1]4444        | needs ':PORT' after the bracketed host",
        "unix:                | migration URI 'unix:' has no socket path",
        "fd:                  | migration URI 'fd:' has no descriptor number",
        "fd:three             | has descriptor 'three', which is not a number in 0..2147483647",
        "fd:99999999999       | has descriptor '99999999999', which is not a number",
        "'exec:  '            | has no command; expected exec:COMMAND",
    })
    void malformedUrisGetOneClearMessage(String text, String expected) {
        var e = assertThrows(IllegalArgumentException.class, () -> MigrationUri.parse(text));
        assertTrue(e.getMessage().contains(expected), () -> "message was: " + e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void transportsRejectMalformedUriBeforeTouchingAnything() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> Transports.connect("ftp:host:21", java.time.Duration.ofSeconds(1)));
        assertEquals("migration URI 'ftp:host:21' has unknown scheme 'ftp'; "
                + "expected tcp:HOST:PORT, unix:PATH, fd:N or exec:COMMAND", e.getMessage());
    }
}
