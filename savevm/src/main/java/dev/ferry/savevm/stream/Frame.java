package dev.ferry.savevm.stream;

import dev.ferry.savevm.FrameKind;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

/**
 * One frame as read and checked: its payload is a view of the reader's buffer, valid until the
 * reader's next frame.
 */
public record Frame(FrameKind kind, int sequence, int index, MemorySegment payload) {

    /** The payload as UTF-8 text (ABORT and NACK reasons). */
    public String text() {
        return new String(payload.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
    }

    /** "frame 12 (PART, section 3)": how errors name a frame. */
    public String describe() {
        return "frame " + Integer.toUnsignedString(sequence) + " (" + kind + (index == 0 ? "" : ", section " + index) + ")";
    }
}
