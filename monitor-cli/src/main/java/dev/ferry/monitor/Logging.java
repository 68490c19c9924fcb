package dev.ferry.monitor;

import java.util.Arrays;
import java.util.List;

/**
 * Sets up slf4j-simple before the first logger exists: warnings only by default, debug with
 * {@code -v}/{@code --verbose}. slf4j-simple reads these properties once, at initialisation.
 */
final class Logging {

    private static final List<String> VERBOSE = List.of("-v", "--verbose");

    private Logging() {
    }

    static void configure(String[] args) {
        boolean verbose = Arrays.stream(args).anyMatch(VERBOSE::contains);
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", verbose ? "debug" : "warn");
        System.setProperty("org.slf4j.simpleLogger.logFile", "System.err");
        System.setProperty("org.slf4j.simpleLogger.showDateTime", "true");
        System.setProperty("org.slf4j.simpleLogger.dateTimeFormat", "HH:mm:ss.SSS");
    }
}
