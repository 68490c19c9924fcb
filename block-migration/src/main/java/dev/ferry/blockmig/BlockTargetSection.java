package dev.ferry.blockmig;

import dev.ferry.savevm.FrameKind;
import dev.ferry.savevm.LiveSection;
import dev.ferry.savevm.SectionId;
import dev.ferry.savevm.SectionInput;
import dev.ferry.savevm.SectionOutput;
import dev.ferry.vm.block.BlockDevice;
import java.io.IOException;
import java.util.Optional;
import java.util.UUID;

/**
 * The destination side of one disk in a migration stream. START carries the source's
 * {@link DiskSpec}: the image is opened (or created) and checked against it before any data is
 * written; PART and END frames are applied to it; {@link #verify} compares the source's digest
 * with what the image holds, so a mismatch refuses the migration and the source runs on.
 */
public final class BlockTargetSection implements LiveSection, AutoCloseable {

    /** How the section gets its image once it knows the source's disk. */
    @FunctionalInterface
    private interface Opener {
        DiskTarget open(DiskSpec spec) throws IOException;
    }

    private final String drive;
    private final Opener opener;
    /** Set by the loading thread at START; the progress reports read it from theirs. */
    private volatile DiskTarget target;
    private String sourceDigest;

    private BlockTargetSection(String drive, Opener opener) {
        this.drive = drive;
        this.opener = opener;
    }

    /**
     * Receives into {@code image}, created if missing; closing the section closes the image.
     *
     * @param image the drive id and where its image is
     * @return a section that owns the image it opens
     */
    public static BlockTargetSection of(TargetImage image) {
        return new BlockTargetSection(image.drive(), image::open);
    }

    /**
     * Receives into an image the caller opened and keeps: closing the section leaves it open.
     *
     * @param drive the drive id the source sends
     * @param device a writable image of the source's size
     * @return a section that leaves {@code device} open
     */
    public static BlockTargetSection into(String drive, BlockDevice device) {
        return new BlockTargetSection(drive, spec -> new DiskTarget(spec, device));
    }

    /**
     * The drive id this section receives.
     *
     * @return the drive id
     */
    public String drive() {
        return drive;
    }

    @Override
    public SectionId id() {
        return new SectionId(BlockWire.idstr(drive), 0, BlockWire.VERSION);
    }

    /**
     * The image, once the stream started this disk.
     *
     * @return the image, or empty before the disk's first frame
     */
    public Optional<BlockDevice> device() {
        return Optional.ofNullable(target).map(DiskTarget::device);
    }

    /** What this disk's image holds so far; fails before the disk's START arrived. */
    DriveGranules held() throws BlockMigrationException {
        return started().held();
    }

    /** The migration this disk's copy belongs to; fails before the disk's START arrived. */
    UUID migrationId() throws BlockMigrationException {
        return UUID.fromString(started().spec().migrationId());
    }

    private DiskTarget started() throws BlockMigrationException {
        if (target == null) {
            throw new BlockMigrationException("drive " + drive + ": the link broke before this disk's copy began; nothing to resume");
        }
        return target;
    }

    @Override
    public void load(FrameKind kind, SectionInput in, int version) throws IOException {
        if (kind == FrameKind.START) {
            DiskSpec spec = in.readRecord(DiskSpec.class);
            if (!spec.drive().equals(drive)) {
                throw new BlockMigrationException("drive " + drive + ": the stream describes drive " + spec.drive());
            }
            target = opener.open(spec);
            return;
        }
        BlockWire.apply(in, target).ifPresent(digest -> sourceDigest = digest);
        if (kind == FrameKind.END) {
            target.startFlush(); // runs while the state sections and EOF arrive; verify waits for it
        }
    }

    /**
     * Fails unless the source's digest arrived and equals the digest of what the image holds, and
     * what arrived is durable.
     */
    @Override
    public void verify() throws IOException {
        if (sourceDigest == null) {
            throw new BlockMigrationException("drive " + drive + ": the source sent no digest");
        }
        target.verify(sourceDigest);
        target.flush();
    }

    /** Releases the buffers, and the image if this section opened it. */
    @Override
    public void close() throws IOException {
        if (target != null) {
            target.close();
        }
    }

    @Override
    public void setup(SectionOutput out) throws IOException {
        throw sendsNothing();
    }

    @Override
    public long backlogBytes() {
        DiskTarget opened = target;
        return opened == null ? 0 : opened.backlogBytes();
    }

    @Override
    public long pendingBytes() {
        return 0;
    }

    @Override
    public void iterate(SectionOutput out, long budgetBytes) throws IOException {
        throw sendsNothing();
    }

    @Override
    public void complete(SectionOutput out) throws IOException {
        throw sendsNothing();
    }

    @Override
    public void cleanup(boolean succeeded) {
    }

    private BlockMigrationException sendsNothing() {
        return new BlockMigrationException("drive " + drive + ": a target block section only loads;"
                + " register a BlockSourceSection on the source");
    }

    /**
     * Closes every section, whatever happened; a failure to close is added to the first.
     *
     * @param sections the sections to close
     * @throws IOException the first failure to close, the others suppressed in it
     */
    public static void closeAll(Iterable<BlockTargetSection> sections) throws IOException {
        IOException first = null;
        for (BlockTargetSection section : sections) {
            try {
                section.close();
            } catch (IOException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
