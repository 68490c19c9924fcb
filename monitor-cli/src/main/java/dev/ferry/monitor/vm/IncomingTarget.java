package dev.ferry.monitor.vm;

/**
 * What {@code --incoming} (or {@code migrate_incoming}) names: the URI to listen on and, with
 * {@code ,resume=on}, whether a link that breaks during the storage copy leaves the destination
 * waiting on the same URI for the source to resume ({@code migrate -r}) instead of failing.
 *
 * @param uri    the transport URI
 * @param resume whether a broken storage copy waits for a resume
 */
record IncomingTarget(String uri, boolean resume) {

    private static final String RESUME_ON = ",resume=on";
    private static final String RESUME_OFF = ",resume=off";

    /** Splits a trailing {@code ,resume=on|off} off the URI. */
    static IncomingTarget parse(String text) {
        if (text.endsWith(RESUME_ON)) {
            return new IncomingTarget(text.substring(0, text.length() - RESUME_ON.length()), true);
        }
        if (text.endsWith(RESUME_OFF)) {
            return new IncomingTarget(text.substring(0, text.length() - RESUME_OFF.length()), false);
        }
        return new IncomingTarget(text, false);
    }
}
