package dev.ferry.savevm.stream;

import dev.ferry.savevm.MigrationException;
import dev.ferry.savevm.Phase;
import dev.ferry.savevm.SectionId;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * The section id at the front of START and FULL payloads: u8 idstr length, idstr (UTF-8),
 * u32 instance, u32 version.
 */
public final class SectionDescriptor {

    private SectionDescriptor() {
    }

    public static long size(SectionId id) {
        return 1 + id.idstr().getBytes(StandardCharsets.UTF_8).length + 8;
    }

    /** Writes {@code id} at the start of {@code into}, which is {@link #size} bytes. */
    public static void write(SectionId id, MemorySegment into) {
        byte[] idstr = id.idstr().getBytes(StandardCharsets.UTF_8);
        into.set(ValueLayout.JAVA_BYTE, 0, (byte) idstr.length);
        MemorySegment.copy(MemorySegment.ofArray(idstr), 0, into, 1, idstr.length);
        into.set(StreamFormat.INT, 1 + idstr.length, id.instance());
        into.set(StreamFormat.INT, 5 + idstr.length, id.version());
    }

    /** Reads the id at the start of {@code frame}'s payload. */
    public static SectionId read(Frame frame) throws MigrationException {
        MemorySegment payload = frame.payload();
        if (payload.byteSize() < 1) {
            throw new MigrationException(Phase.LOAD, frame.describe() + ": payload too short for a section id");
        }
        int length = Byte.toUnsignedInt(payload.get(ValueLayout.JAVA_BYTE, 0));
        if (payload.byteSize() < 1 + length + 8L || length == 0) {
            throw new MigrationException(Phase.LOAD, frame.describe() + ": malformed section id");
        }
        String idstr;
        try {
            // Strict: a replaced byte would change the id's length and shift the section's data.
            idstr = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(payload.asSlice(1, length).asByteBuffer()).toString();
        } catch (CharacterCodingException e) {
            throw new MigrationException(Phase.LOAD, frame.describe() + ": section id is not valid UTF-8", e);
        }
        int instance = payload.get(StreamFormat.INT, 1 + length);
        int version = payload.get(StreamFormat.INT, 5 + length);
        if (instance < 0 || version < 0) {
            throw new MigrationException(Phase.LOAD, frame.describe() + ": section '" + idstr + "' has a negative instance or version");
        }
        return new SectionId(idstr, instance, version);
    }
}
