package dev.ferry.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The image a user runs starts with no JVM flags typed and without JVM warnings. */
class RuntimeImageIT {

    @Test
    void versionRunsWithoutFlagsOrWarnings() throws Exception {
        FerryImage.Result result = FerryImage.run(60, "--version");
        assertEquals(0, result.exitCode(), result.stderr());
        assertTrue(result.stdout().startsWith("ferry "), result.stdout());
        assertEquals("", result.stderr(), "the launcher should carry every JVM flag it needs");
    }

    @Test
    void unknownCommandIsOneClearErrorAndNonZero() throws Exception {
        FerryImage.Result result = FerryImage.run(60, "no-such-command");
        assertTrue(result.exitCode() != 0);
        assertTrue(result.stderr().contains("no-such-command"), result.stderr());
        assertTrue(!result.stderr().contains("Exception"), result.stderr());
    }
}
