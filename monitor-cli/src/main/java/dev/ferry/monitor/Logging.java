package dev.ferry.monitor;

/**
 * Sets up slf4j-simple before the first logger exists: warnings only by default, debug with
 * {@code -v}/{@code --verbose}. slf4j-simple reads these properties once, at initialisation.
 */
final class Logging {

    private Logging() {
    }

    /** Returns whether the user asked for verbose output. */
    static boolean configure(String[] args) {
        boolean verbose = Main.verbose(args);
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", verbose ? "debug" : "warn");
        System.setProperty("org.slf4j.simpleLogger.logFile", "System.err");
        System.setProperty("org.slf4j.simpleLogger.showDateTime", "true");
        System.setProperty("org.slf4j.simpleLogger.dateTimeFormat", "HH:mm:ss.SSS");
        return verbose;
    }

    /** Whether {@link #configure} turned debug logging on. */
    static boolean verbose() {
        return "debug".equals(System.getProperty("org.slf4j.simpleLogger.defaultLogLevel"));
    }
}
