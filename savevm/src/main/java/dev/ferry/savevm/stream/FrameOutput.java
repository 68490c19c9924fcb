package dev.ferry.savevm.stream;

import dev.ferry.savevm.FrameKind;
import dev.ferry.savevm.SectionId;
import dev.ferry.savevm.SectionOutput;
import dev.ferry.savevm.codec.StateCodec;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A live section's output for one call (setup, iterate or complete): fills frames of its section
 * through the writer, sealing one when the next unit does not fit. The first frame of setup is
 * START (with the section id); the last frame of complete is END; every other frame is PART.
 */
public final class FrameOutput implements SectionOutput {

    private final FrameWriter writer;
    private final int index;
    private final SectionId id;
    private FrameKind firstKind;
    private boolean firstPending;
    private long sent;

    public FrameOutput(FrameWriter writer, int index, SectionId id) {
        this.writer = writer;
        this.index = index;
        this.id = id;
    }

    /** Begins a call whose first frame is {@code kind} (START for setup, PART otherwise). */
    public void open(FrameKind kind) {
        firstKind = kind;
        firstPending = true;
        writer.begin(index);
        if (kind == FrameKind.START) {
            SectionDescriptor.write(id, writer.claim(SectionDescriptor.size(id)));
        }
    }

    /**
     * Ends the call: seals the open frame as END if {@code end}, else as START or PART; an
     * iterate that wrote nothing sends nothing.
     */
    public void finish(boolean end) throws IOException {
        if (end) {
            sent += writer.seal(FrameKind.END);
        } else if (writer.length() > 0 || (firstPending && firstKind == FrameKind.START)) {
            sealCurrent();
        } else {
            writer.discard();
        }
    }

    /** Bytes of frames sealed for this section, framing included. */
    public long sent() {
        return sent;
    }

    private void sealCurrent() throws IOException {
        sent += writer.seal(firstPending ? firstKind : FrameKind.PART);
        firstPending = false;
    }

    private MemorySegment claim(long bytes) throws IOException {
        keepTogether(bytes);
        return writer.claim(bytes);
    }

    @Override
    public long maxUnitBytes() {
        return writer.maxPayload();
    }

    @Override
    public void keepTogether(long bytes) throws IOException {
        if (bytes > writer.maxPayload()) {
            throw new IllegalArgumentException("section " + id + ": a unit of " + bytes + " bytes exceeds the frame payload of "
                    + writer.maxPayload());
        }
        if (bytes > writer.room()) {
            sealCurrent();
            writer.begin(index);
        }
    }

    @Override
    public void writeByte(int value) throws IOException {
        claim(1).set(ValueLayout.JAVA_BYTE, 0, (byte) value);
    }

    @Override
    public void writeInt(int value) throws IOException {
        claim(4).set(StreamFormat.INT, 0, value);
    }

    @Override
    public void writeLong(long value) throws IOException {
        claim(8).set(StreamFormat.LONG, 0, value);
    }

    @Override
    public void write(byte[] bytes) throws IOException {
        write(MemorySegment.ofArray(bytes));
    }

    @Override
    public void write(MemorySegment bytes) throws IOException {
        MemorySegment.copy(bytes, 0, claim(bytes.byteSize()), 0, bytes.byteSize());
    }

    @Override
    public MemorySegment reserve(long bytes) throws IOException {
        return claim(bytes);
    }

    @Override
    public void implies(long bytes) {
        writer.imply(bytes);
    }

    @Override
    public void writeRecord(Record value) throws IOException {
        byte[] encoded = StateCodec.encode(value);
        keepTogether(4L + encoded.length);
        writeInt(encoded.length);
        write(encoded);
    }
}
