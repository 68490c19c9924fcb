package dev.ferry.blockmig;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * The payload of a RESUME frame: on reconnect the destination tells the source which migration
 * it was part of and, per drive, the granules it already holds. The same bytes (one drive each)
 * are what the destination keeps on disk between the break and the resume ({@link ReceivedGranules}).
 *
 * <p>Little-endian: migration id (u64 most, u64 least significant bits), u16 drive count, then per
 * drive: u8 id length (1..255), id (UTF-8, no control characters), u64 size, u32 granule size (a power of two, 512 B ..
 * 64 MiB), u32 word count (must match size and granule size), the words. Nothing may follow.
 * The parser checks every count against the bytes left before it allocates, and refuses bits past
 * a drive's end: a peer that claims granules a disk does not have is lying or corrupt.
 *
 * @param migrationId the migration id the source sent in its configuration
 * @param drives      what the destination holds of each drive, in the configuration's order
 */
record ResumeRequest(UUID migrationId, List<DriveGranules> drives) {

    static final int MIN_GRANULE = 512;
    static final int MAX_GRANULE = 64 << 20;

    ResumeRequest {
        drives = List.copyOf(drives);
        if (drives.size() > 0xFFFF) {
            throw new IllegalArgumentException(drives.size() + " drives do not fit a RESUME frame");
        }
        for (DriveGranules drive : drives) {
            int length = drive.drive().getBytes(StandardCharsets.UTF_8).length;
            if (length == 0 || length > 255) {
                throw new IllegalArgumentException("drive id of " + length + " bytes (1 to 255 fit a RESUME frame)");
            }
        }
    }

    byte[] encode() {
        int bytes = 18;
        for (DriveGranules drive : drives) {
            bytes += 1 + drive.drive().getBytes(StandardCharsets.UTF_8).length + 16 + 8 * DriveGranules.words(drive.granules());
        }
        ByteBuffer out = ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(migrationId.getMostSignificantBits()).putLong(migrationId.getLeastSignificantBits());
        out.putShort((short) drives.size());
        for (DriveGranules drive : drives) {
            byte[] name = drive.drive().getBytes(StandardCharsets.UTF_8);
            out.put((byte) name.length).put(name).putLong(drive.size()).putInt(drive.granuleSize());
            long[] words = drive.received();
            out.putInt(words.length);
            for (long word : words) {
                out.putLong(word);
            }
        }
        return out.array();
    }

    /**
     * Decodes and checks a RESUME payload.
     *
     * @throws BlockMigrationException one line naming what is wrong; never anything else
     */
    static ResumeRequest parse(ByteBuffer payload) throws BlockMigrationException {
        ByteBuffer in = payload.slice().order(ByteOrder.LITTLE_ENDIAN);
        try {
            UUID id = new UUID(in.getLong(), in.getLong());
            int count = Short.toUnsignedInt(in.getShort());
            List<DriveGranules> drives = new ArrayList<>(Math.min(count, in.remaining() / 18));
            Set<String> names = new HashSet<>();
            for (int i = 0; i < count; i++) {
                DriveGranules drive = parseDrive(in, i);
                if (!names.add(drive.drive())) {
                    throw refused("drive " + drive.drive() + " listed twice");
                }
                drives.add(drive);
            }
            if (in.hasRemaining()) {
                throw refused(in.remaining() + " bytes after the last drive");
            }
            return new ResumeRequest(id, drives);
        } catch (BufferUnderflowException e) {
            throw refused("truncated");
        }
    }

    private static DriveGranules parseDrive(ByteBuffer in, int index) throws BlockMigrationException {
        int length = Byte.toUnsignedInt(in.get());
        if (length == 0) {
            throw refused("drive " + index + " has an empty id");
        }
        byte[] name = new byte[Math.min(length, in.remaining())];
        in.get(name);
        if (name.length < length) {
            throw refused("truncated");
        }
        String drive;
        try {
            drive = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(name)).toString();
        } catch (CharacterCodingException e) {
            throw refused("drive " + index + " has an id that is not UTF-8");
        }
        if (drive.chars().anyMatch(Character::isISOControl)) {
            // the id goes into one-line messages on both sides
            throw refused("drive " + index + " has an id with control characters");
        }
        long size = in.getLong();
        int granule = in.getInt();
        if (size <= 0) {
            throw refused("drive " + drive + " has size " + Long.toUnsignedString(size));
        }
        if (granule < MIN_GRANULE || granule > MAX_GRANULE || Integer.bitCount(granule) != 1) {
            throw refused("drive " + drive + ": granule size " + Integer.toUnsignedString(granule)
                    + " is not a power of two from " + MIN_GRANULE + " to " + MAX_GRANULE);
        }
        long granules = DriveGranules.granules(size, granule);
        long expected = (granules + 63) >>> 6;
        long words = Integer.toUnsignedLong(in.getInt());
        if (words != expected) {
            throw refused("drive " + drive + ": " + words + " bitmap words for " + granules + " granules (" + expected + " expected)");
        }
        if (words * 8 > in.remaining()) {
            throw refused("truncated");
        }
        long[] bits = new long[(int) words];
        in.asLongBuffer().get(bits);
        in.position(in.position() + (int) words * 8);
        int tail = (int) (granules & 63);
        if (tail != 0 && (bits[bits.length - 1] >>> tail) != 0) {
            throw refused("drive " + drive + " claims granules past its end (" + granules + " granules)");
        }
        return new DriveGranules(drive, size, granule, bits);
    }

    private static BlockMigrationException refused(String why) {
        return new BlockMigrationException("RESUME refused: " + why);
    }
}
