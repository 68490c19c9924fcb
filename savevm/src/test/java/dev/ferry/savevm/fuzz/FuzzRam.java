package dev.ferry.savevm.fuzz;

import dev.ferry.savevm.FrameKind;
import dev.ferry.savevm.LiveSection;
import dev.ferry.savevm.MigrationException;
import dev.ferry.savevm.Phase;
import dev.ferry.savevm.SectionId;
import dev.ferry.savevm.SectionInput;
import dev.ferry.savevm.SectionOutput;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * A RAM-like live section shaped as a real one: START carries the layout as a record, then
 * units of {@code u64 (page << 1 | zero)} followed by the page unless it is a zero page. The
 * destination checks every field it reads, as a real section must against a hostile stream.
 */
final class FuzzRam implements LiveSection {

    /** The layout both sides must agree on, sent in START. */
    record Layout(int pageSize, int pages) {
    }

    static final int PAGE = 512;
    private static final long ZERO_PAGE = 1;

    private final Layout layout;
    private final byte[] memory;
    private boolean[] pending;

    FuzzRam(int pages) {
        this.layout = new Layout(PAGE, pages);
        this.memory = new byte[pages * PAGE];
    }

    @Override
    public SectionId id() {
        return new SectionId("ram", 0, 1);
    }

    /** Fills page {@code page} with {@code value} (0 makes it a zero page). */
    FuzzRam fill(int page, byte value) {
        Arrays.fill(memory, page * PAGE, (page + 1) * PAGE, value);
        return this;
    }

    byte[] memory() {
        return memory.clone();
    }

    @Override
    public void setup(SectionOutput out) throws IOException {
        pending = new boolean[layout.pages()];
        Arrays.fill(pending, true);
        out.writeRecord(layout);
    }

    @Override
    public long pendingBytes() {
        long count = 0;
        for (boolean page : pending) {
            count += page ? PAGE : 0;
        }
        return count;
    }

    @Override
    public void iterate(SectionOutput out, long budgetBytes) throws IOException {
        long sent = 0;
        for (int page = 0; page < pending.length && sent < budgetBytes; page++) {
            if (pending[page]) {
                pending[page] = false;
                sent += send(out, page);
            }
        }
    }

    private long send(SectionOutput out, int page) throws IOException {
        MemorySegment bytes = MemorySegment.ofArray(memory).asSlice((long) page * PAGE, PAGE);
        if (bytes.mismatch(MemorySegment.ofArray(new byte[PAGE])) < 0) {
            out.writeLong(((long) page << 1) | ZERO_PAGE);
            return 8;
        }
        out.keepTogether(8 + PAGE);
        out.writeLong((long) page << 1);
        out.write(bytes);
        return 8 + PAGE;
    }

    @Override
    public void complete(SectionOutput out) throws IOException {
        iterate(out, Long.MAX_VALUE);
    }

    @Override
    public void cleanup(boolean succeeded) {
        pending = null;
    }

    @Override
    public void load(FrameKind kind, SectionInput in, int version) throws IOException {
        if (kind == FrameKind.START) {
            Layout source = in.readRecord(Layout.class);
            if (!source.equals(layout)) {
                throw new MigrationException(Phase.LOAD, "RAM layout differs: source " + source + ", destination " + layout);
            }
        }
        while (in.remaining() > 0) {
            long unit = in.readLong();
            long page = unit >>> 1;
            if (page >= layout.pages()) {
                throw new MigrationException(Phase.LOAD, "page " + page + " is outside the " + layout.pages() + " pages of RAM");
            }
            MemorySegment target = MemorySegment.ofArray(memory).asSlice(page * PAGE, PAGE);
            if ((unit & ZERO_PAGE) != 0) {
                target.fill((byte) 0);
            } else {
                target.copyFrom(in.read(PAGE));
            }
        }
    }
}
