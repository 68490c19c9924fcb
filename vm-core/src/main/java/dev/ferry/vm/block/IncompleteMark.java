package dev.ferry.vm.block;

import dev.ferry.vm.block.qcow2.Qcow2Header;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Optional;

/**
 * The mark on a destination image that an incoming migration wrote into but did not finish, so
 * nobody mistakes its half-copied contents for a disk. It is a file beside the image,
 * {@code IMAGE.ferry-incomplete}, written before the migration writes (a killed destination
 * leaves it too) and removed when the migration succeeds; {@code ferry run} refuses a marked
 * image and {@code ferry img info} shows the mark. After a clean failure a qcow2 v3 image also
 * gets the header's corrupt bit, so QEMU refuses to open it read-write as well; Ferry clears that
 * bit again only for an image its own mark says it set it on.
 *
 * @param since when the migration into the image began
 * @param reason why it is incomplete: "in progress" until the migration failed, then its reason
 * @param corruptBit whether Ferry set the qcow2 corrupt bit
 */
public record IncompleteMark(Instant since, String reason, boolean corruptBit) {

    private static final String SUFFIX = ".ferry-incomplete";
    private static final String IN_PROGRESS = "an incoming migration was writing it (the destination ended without finishing)";

    /**
     * The mark file of {@code image}.
     *
     * @param image the image file
     * @return the mark file beside it
     */
    public static Path file(Path image) {
        return sidecar(image).path();
    }

    private static SidecarFile sidecar(Path image) {
        return SidecarFile.beside(image, SUFFIX);
    }

    /**
     * The mark of {@code image}, if it has one; a mark file that cannot be parsed still marks it.
     *
     * @param image the image file
     * @return the mark, or empty
     * @throws IOException if the mark file exists but cannot be read
     */
    public static Optional<IncompleteMark> read(Path image) throws IOException {
        Optional<String> content = sidecar(image).read();
        if (content.isEmpty()) {
            return Optional.empty();
        }
        String text = content.get();
        Instant since = Instant.EPOCH;
        String reason = "unreadable mark file " + file(image);
        boolean corruptBit = false;
        for (String line : text.split("\n")) {
            if (line.startsWith("since: ")) {
                try {
                    since = Instant.parse(line.substring("since: ".length()).strip());
                } catch (java.time.format.DateTimeParseException e) {
                    // the mark stands without its date
                }
            } else if (line.startsWith("reason: ")) {
                reason = line.substring("reason: ".length()).strip();
            } else if (line.strip().equals("qcow2-corrupt-bit: set")) {
                corruptBit = true;
            }
        }
        return Optional.of(new IncompleteMark(since, reason, corruptBit));
    }

    /**
     * Marks {@code image} before an incoming migration writes it; an earlier mark's corrupt bit is
     * cleared so the migration can open the image read-write.
     *
     * @param image the image file
     * @throws IOException if the mark cannot be written
     */
    public static void begin(Path image) throws IOException {
        Optional<IncompleteMark> earlier = read(image);
        if (earlier.isPresent() && earlier.get().corruptBit()) {
            setCorruptBit(image, false);
        }
        write(image, new IncompleteMark(Instant.now().truncatedTo(ChronoUnit.SECONDS), IN_PROGRESS, false));
    }

    /**
     * The incoming migration failed: the mark keeps its reason, and a qcow2 v3 image its corrupt bit.
     *
     * @param image the image file
     * @param reason why the migration failed, one line
     * @throws IOException if the mark cannot be written
     */
    public static void fail(Path image, String reason) throws IOException {
        Instant since = read(image).map(IncompleteMark::since).orElse(Instant.now().truncatedTo(ChronoUnit.SECONDS));
        boolean corruptBit = setCorruptBit(image, true);
        write(image, new IncompleteMark(since, "incoming migration failed: " + reason.replace('\n', ' '), corruptBit));
    }

    /**
     * The migration into {@code image} succeeded, or never touched it: no mark.
     *
     * @param image the image file
     * @throws IOException if the mark file cannot be deleted
     */
    public static void clear(Path image) throws IOException {
        Optional<IncompleteMark> mark = read(image);
        if (mark.isPresent() && mark.get().corruptBit()) {
            setCorruptBit(image, false);
        }
        sidecar(image).delete();
    }

    /**
     * One line for {@code ferry run}'s refusal and {@code ferry img info}.
     *
     * @return the line
     */
    public String describe() {
        return "incomplete since " + since + ": " + reason;
    }

    private static void write(Path image, IncompleteMark mark) throws IOException {
        sidecar(image).write("since: " + mark.since() + "\nreason: " + mark.reason() + "\n"
                + (mark.corruptBit() ? "qcow2-corrupt-bit: set\n" : ""));
    }

    /** Sets or clears the corrupt bit of a qcow2 v3 image (v2 has no feature bits); false for any other image. */
    private static boolean setCorruptBit(Path image, boolean on) throws IOException {
        try (FileChannel channel = FileChannel.open(image, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer start = ByteBuffer.allocate(8);
            ByteBuffer features = ByteBuffer.allocate(8);
            if (channel.read(start, 0) != 8 || start.getInt(0) != Qcow2Header.MAGIC || start.getInt(4) < 3
                    || channel.read(features, Qcow2Header.OFFSET_INCOMPATIBLE) != 8) {
                return false;
            }
            long bits = features.getLong(0);
            long changed = on ? bits | Qcow2Header.INCOMPATIBLE_CORRUPT : bits & ~Qcow2Header.INCOMPATIBLE_CORRUPT;
            if (changed != bits) {
                channel.write(features.putLong(0, changed).rewind(), Qcow2Header.OFFSET_INCOMPATIBLE);
                channel.force(true);
            }
            return true;
        }
    }
}
