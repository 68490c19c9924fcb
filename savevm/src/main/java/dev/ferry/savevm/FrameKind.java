package dev.ferry.savevm;

/**
 * The kinds of frame in a migration stream (docs/stream-format.md). The wire code is the first
 * byte of every frame; codes never change meaning within a major format version.
 */
public enum FrameKind {
    /** First frame: magic and format version. */
    HEADER(0x01),
    /** Source configuration the destination checks before any state is applied. */
    CONFIG(0x02),
    /** Opens a live section (carries its id) with its setup data. */
    START(0x10),
    /** More data of an opened live section. */
    PART(0x11),
    /** Last data of a live section, written while the VM is paused. */
    END(0x12),
    /** The whole state of a non-live section (carries its id). */
    FULL(0x13),
    /** End of the stream: every section was sent. */
    EOF(0x1F),
    /** Return path: the destination loaded and verified everything. */
    ACK(0x20),
    /** Return path: the destination refused the stream; carries the reason. */
    NACK(0x21),
    /**
     * Return path, while the copy runs: how many stream bytes the destination applied and how
     * many bytes of work (read-back, flush) it still owes; sent only to a source of minor version
     * 1 or later, which learns of it from the configuration's ACK.
     */
    PROGRESS(0x22),
    /** Return path, first frame of a resumed link: what the destination already holds (opaque to savevm). */
    RESUME(0x23),
    /** The source gave up (cancel or failure); carries the reason. */
    ABORT(0x2F);

    private final int code;

    FrameKind(int code) {
        this.code = code;
    }

    /**
     * The byte that stands for this kind on the wire.
     *
     * @return the wire byte
     */
    public int code() {
        return code;
    }

    /**
     * Whether frames of this kind carry section data (and so a section index).
     *
     * @return true for START, PART, END and FULL
     */
    public boolean isSectionData() {
        return this == START || this == PART || this == END || this == FULL;
    }
}
