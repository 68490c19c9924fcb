package dev.ferry.bench;

/** One run of a scenario failed; the message names the run, the problem and the log to read. */
final class BenchException extends Exception {

    BenchException(String message) {
        super(message);
    }
}
