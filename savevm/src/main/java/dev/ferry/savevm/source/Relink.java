package dev.ferry.savevm.source;

import dev.ferry.savevm.FrameKind;
import dev.ferry.savevm.MigrationException;
import dev.ferry.savevm.OutgoingResume;
import dev.ferry.savevm.Phase;
import dev.ferry.savevm.stream.Frame;
import dev.ferry.savevm.stream.FrameReader;
import dev.ferry.savevm.stream.FrameWriter;
import dev.ferry.savevm.stream.Watchdog;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * The source's handshake on a new link after a break: HEADER out, the destination's RESUME in
 * (what it holds), the resumer's check, then ACK (go on with the section frames) or ABORT with
 * the refusal, which leaves the destination waiting and nothing written.
 *
 * @param writer  the new link's stream
 * @param replies the new link's return path
 * @param resumer checks the RESUME payload and plans what to send again
 * @param giveUp  closes the link when the destination does not answer in time
 */
record Relink(FrameWriter writer, FrameReader replies, OutgoingResume resumer, Runnable giveUp) {

    /** How long the destination may take to say what it holds (it only encodes bitmaps). */
    private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(30);

    /** Runs the handshake; returns once the destination was told to go on. */
    void run(byte[] header) throws IOException {
        writer.writeFrame(FrameKind.HEADER, 0, header);
        Frame frame;
        try (Watchdog watchdog = new Watchdog(ANSWER_TIMEOUT, giveUp)) {
            frame = replies.next(Phase.ITERATE);
        }
        switch (frame.kind()) {
            case RESUME -> { }
            case NACK -> throw new MigrationException(Phase.ITERATE, "the destination refused to resume: " + frame.text());
            default -> throw new MigrationException(Phase.ITERATE, "return path: expected RESUME, got " + frame.describe());
        }
        try {
            resumer.resumeFrom(frame.payload().asByteBuffer());
        } catch (IOException | RuntimeException e) {
            String reason = e.getMessage() != null ? e.getMessage() : e.toString();
            writer.writeFrame(FrameKind.ABORT, 0, reason.getBytes(StandardCharsets.UTF_8));
            throw new MigrationException(Phase.ITERATE, reason, e);
        }
        writer.writeFrame(FrameKind.ACK, 0, new byte[0]);
    }
}
