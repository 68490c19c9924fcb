package dev.ferry.savevm.stream;

import dev.ferry.savevm.MigrationException;
import dev.ferry.savevm.Phase;
import dev.ferry.savevm.SectionInput;
import dev.ferry.savevm.codec.StateCodec;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** A section's view of one frame payload; the loader prefixes errors with the section and frame. */
public final class FrameInput implements SectionInput {

    private final MemorySegment payload;
    private long position;

    public FrameInput(MemorySegment payload) {
        this.payload = payload;
    }

    /** Fails if the section left bytes unread: it and the source disagree on the layout. */
    public void requireConsumed() throws MigrationException {
        if (remaining() != 0) {
            throw new MigrationException(Phase.LOAD, "the section left " + remaining() + " of "
                    + payload.byteSize() + " payload bytes unread (layout mismatch?)");
        }
    }

    @Override
    public long remaining() {
        return payload.byteSize() - position;
    }

    @Override
    public MemorySegment read(long bytes) throws IOException {
        if (bytes < 0 || bytes > remaining()) {
            throw new MigrationException(Phase.LOAD, "the section read " + bytes + " bytes with only "
                    + remaining() + " left in the payload (layout mismatch or truncated data)");
        }
        MemorySegment slice = payload.asSlice(position, bytes);
        position += bytes;
        return slice;
    }

    @Override
    public byte readByte() throws IOException {
        return read(1).get(ValueLayout.JAVA_BYTE, 0);
    }

    @Override
    public int readInt() throws IOException {
        return read(4).get(StreamFormat.INT, 0);
    }

    @Override
    public long readLong() throws IOException {
        return read(8).get(StreamFormat.LONG, 0);
    }

    @Override
    public void read(byte[] into) throws IOException {
        MemorySegment.copy(read(into.length), 0, MemorySegment.ofArray(into), 0, into.length);
    }

    @Override
    public <R extends Record> R readRecord(Class<R> type) throws IOException {
        long length = Integer.toUnsignedLong(readInt());
        MemorySegment bytes = read(length);
        return StateCodec.decode(type, bytes.asByteBuffer(), Phase.LOAD);
    }
}
