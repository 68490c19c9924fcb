package dev.ferry.vm.migration;

import dev.ferry.savevm.FrameKind;
import dev.ferry.savevm.LiveSection;
import dev.ferry.savevm.MigrationException;
import dev.ferry.savevm.Phase;
import dev.ferry.savevm.SectionId;
import dev.ferry.savevm.SectionInput;
import dev.ferry.savevm.SectionOutput;
import dev.ferry.vm.cpu.VcpuThrottle;
import dev.ferry.vm.memory.PageBitmap;
import dev.ferry.vm.memory.DirtyTracker;
import dev.ferry.vm.memory.GuestMemoryException;
import dev.ferry.vm.memory.GuestRam;
import dev.ferry.vm.memory.HostWriter;
import dev.ferry.vm.memory.RamLayout;
import dev.ferry.vm.memory.RamRegion;
import dev.ferry.vm.memory.UntouchedPages;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Guest RAM as a live migration section. Source: a bulk pass sends every page once, then each
 * round harvests the pages dirtied since (KVM's log merged with the VMM's own DMA writes) and
 * sends those, until the driver finds the rest fits the downtime. Pages are sent in runs of
 * contiguous pages, one record per run; all-zero pages as a marker only (in the bulk pass, pages
 * the host never allocated are known zero without being read: {@link ZeroPages}).
 *
 * <p>Payload (little-endian): START carries the source's {@link RamLayout} ({@code int} ranges,
 * then {@code long gpa, long size} each), which must equal the destination's. PART and END carry runs: {@code long gpa | kind} (kind in the low 12 bits:
 * {@value #DATA} pages follow, {@value #ZERO} all zero), {@code int pages}, then for a data run
 * {@code pages × 4096} bytes.
 *
 * <p>Destination: the RAM it loads into is freshly mapped (all zero) and not running; a zero run
 * over pages never loaded before costs nothing, and data goes in through the region's {@link
 * HostWriter} (for a memfd, without the kernel clearing each new page first).
 *
 * <p>Resume after a broken link: nothing tells which of the pages sent on the broken link arrived,
 * so the source sends all of RAM again ({@link #resendAll}); the destination's part of the RESUME
 * frame ({@link #resumeHeld}) is its layout, which the source checks ({@link #checkResume}), and
 * its {@link #verify} refuses a resumed stream that did not cover every page again.
 */
public final class RamSection implements LiveSection {

    /** Section name in the stream. */
    public static final String IDSTR = "ram";
    static final int VERSION = 1;
    static final int DATA = 1;
    static final int ZERO = 2;
    private static final int RUN_HEADER_BYTES = Long.BYTES + Integer.BYTES;
    private static final int MAX_RUN_PAGES = 256;
    private static final int MAX_RANGES = 64;

    private final GuestRam ram;
    private final DirtyTracker tracker;
    private final VcpuThrottle throttle;
    private final List<PageBitmap> dirty = new ArrayList<>();
    private final List<PageBitmap> loaded = new ArrayList<>();
    /** Destination: pages a run covered since the last resume. */
    private final List<PageBitmap> sinceResume = new ArrayList<>();

    private int bulkRegion;
    private long bulkPage;
    private int scanRegion;
    private long scanPage;
    private volatile long bulkPagesLeft;
    private volatile long dirtyPages;
    private volatile long dataPages;
    private volatile long zeroPages;
    private volatile long harvests;
    private volatile long lastHarvestPages;
    private volatile boolean resumed;

    /**
     * The live "ram" section over {@code ram}, for either side of a migration.
     *
     * @param ram the guest RAM (source: the running guest's; destination: fresh, not running)
     * @param tracker the dirty tracking of that RAM
     * @param throttle slows the vCPUs when the copy does not converge
     */
    public RamSection(GuestRam ram, DirtyTracker tracker, VcpuThrottle throttle) {
        this.ram = ram;
        this.tracker = tracker;
        this.throttle = throttle;
        for (RamRegion region : ram.regions()) {
            dirty.add(new PageBitmap(region.pages()));
            loaded.add(new PageBitmap(region.pages()));
            sinceResume.add(new PageBitmap(region.pages()));
        }
        bulkPagesLeft = ram.size() >>> PageBitmap.PAGE_SHIFT;
    }

    @Override
    public SectionId id() {
        return new SectionId(IDSTR, 0, VERSION);
    }

    @Override
    public void setup(SectionOutput out) throws IOException {
        // A new attempt after a failed or cancelled one starts from nothing: no dirty pages, no counts.
        dataPages = 0;
        zeroPages = 0;
        harvests = 0;
        lastHarvestPages = 0;
        tracker.start();
        restartBulk();
        out.write(encodedLayout());
    }

    /** The bulk pass starts at the first page again; harvested dirty pages are dropped (the pass covers them). */
    private void restartBulk() {
        dirty.forEach(PageBitmap::clearAll);
        dirtyPages = 0;
        scanRegion = 0;
        scanPage = 0;
        bulkRegion = 0;
        bulkPage = 0;
        bulkPagesLeft = ram.size() >>> PageBitmap.PAGE_SHIFT;
    }

    /**
     * Destination, asked what it holds after a break: this RAM's layout, the RAM part of the
     * RESUME payload ({@code int} ranges, then {@code long gpa, long size} each, as in START).
     * From here on {@link #verify} requires every page to arrive again.
     *
     * @return the RAM part
     */
    public byte[] resumeHeld() {
        sinceResume.forEach(PageBitmap::clearAll);
        resumed = true;
        return encodedLayout();
    }

    /** This RAM's layout as START and RESUME carry it: {@code int} ranges, then {@code long gpa, long size} each. */
    private byte[] encodedLayout() {
        List<RamLayout.Range> ranges = ram.layout().ranges();
        ByteBuffer part = ByteBuffer.allocate(Integer.BYTES + ranges.size() * 2 * Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        part.putInt(ranges.size());
        ranges.forEach(range -> part.putLong(range.gpa()).putLong(range.size()));
        return part.array();
    }

    /**
     * Source: reads the RAM part of a RESUME payload from {@code held} (advancing it) and checks
     * the destination's RAM is this one's. Changes nothing.
     *
     * @param held the RESUME payload, at the RAM part
     * @throws MigrationException one line if the part is cut short or names another layout
     */
    public void checkResume(ByteBuffer held) throws MigrationException {
        ByteBuffer in = held.order(ByteOrder.LITTLE_ENDIAN);
        RamLayout layout;
        try {
            layout = readLayout(in.getInt(), in::getLong);
        } catch (BufferUnderflowException e) {
            throw new MigrationException(Phase.ITERATE, "RESUME refused: the RAM part is truncated");
        } catch (IOException e) {
            throw new MigrationException(Phase.ITERATE, "RESUME refused: " + e.getMessage());
        }
        if (!layout.equals(ram.layout())) {
            throw new MigrationException(Phase.ITERATE, "RESUME refused: the destination's RAM is " + layout.ranges()
                    + ", this VM's " + ram.layout().ranges());
        }
    }

    /**
     * Source, resuming on a new link: every page is sent again, since a page sent on the broken link
     * may have been lost in flight after an older copy arrived. The tracker keeps what the guest
     * dirties from here on; pages harvested before are covered by the new pass.
     */
    public void resendAll() {
        restartBulk();
    }

    @Override
    public long pendingBytes() {
        return (bulkPagesLeft + dirtyPages) << PageBitmap.PAGE_SHIFT;
    }

    /** Harvests the dirty log: what the guest dirtied since the last round counts too. */
    @Override
    public long exactPendingBytes() {
        harvest();
        return pendingBytes();
    }

    @Override
    public void iterate(SectionOutput out, long budgetBytes) throws IOException {
        long sent = 0;
        while (sent < budgetBytes) {
            long bytes = bulkPagesLeft > 0 ? sendBulk(out) : sendDirty(out);
            if (bytes == 0) {
                return;
            }
            sent += bytes;
        }
    }

    @Override
    public void complete(SectionOutput out) throws IOException {
        while (bulkPagesLeft > 0) {
            sendBulk(out);
        }
        harvest();
        while (sendDirtyRun(out) > 0) {
            // every run harvested before the pause goes out
        }
    }

    /** Destination: after a resume, every page must have arrived again (the source resends all of RAM). */
    @Override
    public void verify() throws IOException {
        if (!resumed) {
            return;
        }
        long missing = 0;
        for (PageBitmap pages : sinceResume) {
            missing += pages.pages() - pages.count();
        }
        if (missing > 0) {
            throw new MigrationException(Phase.VERIFY, missing + " of " + (ram.size() >>> PageBitmap.PAGE_SHIFT)
                    + " RAM pages were not sent again after the resume");
        }
    }

    /** Ends throttling and tracking; the harvested dirty pages of an attempt that ends are dropped. */
    @Override
    public void cleanup(boolean succeeded) {
        try {
            throttle.setLevel(0);
        } finally {
            tracker.stop();
            dirty.forEach(PageBitmap::clearAll);
            dirtyPages = 0;
        }
    }

    @Override
    public void notConverging(int level) {
        throttle.setLevel(level);
    }

    @Override
    public void copyHeld() {
        throttle.setLevel(0);
    }

    /**
     * Progress so far; safe to call from any thread.
     *
     * @return the statistics
     */
    public RamStats stats() {
        return new RamStats(ram.size() >>> PageBitmap.PAGE_SHIFT, bulkPagesLeft, dirtyPages, dataPages, zeroPages,
                harvests, lastHarvestPages, throttle.percent());
    }

    /** Sends the next bulk chunk; returns the bytes written. */
    private long sendBulk(SectionOutput out) throws IOException {
        RamRegion region = ram.regions().get(bulkRegion);
        long count = Math.min(region.pages() - bulkPage, maxRunPages(out));
        long bytes = sendPages(out, region, bulkPage, count, new ZeroPages(region, region.untouched()));
        bulkPage += count;
        bulkPagesLeft -= count;
        if (bulkPage == region.pages() && bulkRegion + 1 < ram.regions().size()) {
            bulkRegion++;
            bulkPage = 0;
        }
        return bytes;
    }

    /** Sends the next dirty run, harvesting a new round when the last one is used up. */
    private long sendDirty(SectionOutput out) throws IOException {
        if (dirtyPages == 0) {
            harvest();
        }
        return sendDirtyRun(out);
    }

    /** Sends the next run of harvested dirty pages; 0 if none is left. */
    private long sendDirtyRun(SectionOutput out) throws IOException {
        while (dirtyPages > 0) {
            PageBitmap bitmap = dirty.get(scanRegion);
            long first = bitmap.nextSet(scanPage);
            if (first < 0) {
                scanRegion = (scanRegion + 1) % dirty.size();
                scanPage = 0;
                continue;
            }
            long count = Math.min(bitmap.nextClear(first) - first, maxRunPages(out));
            bitmap.clear(first, count);
            dirtyPages -= count;
            scanPage = first + count;
            // Pages the guest dirtied are touched: asking the host costs two system calls a run for nothing.
            RamRegion region = ram.regions().get(scanRegion);
            return sendPages(out, region, first, count, new ZeroPages(region, UntouchedPages.UNKNOWN));
        }
        return 0;
    }

    private void harvest() {
        tracker.harvest(dirty);
        long pages = 0;
        for (PageBitmap bitmap : dirty) {
            pages += bitmap.count();
        }
        harvests++;
        lastHarvestPages = pages - dirtyPages;
        dirtyPages = pages;
        scanRegion = 0;
        scanPage = 0;
    }

    /** Sends pages [first, first + count) of a region as zero and data runs; returns the bytes. */
    private long sendPages(SectionOutput out, RamRegion region, long first, long count, ZeroPages zeros) throws IOException {
        long bytes = 0;
        long runStart = first;
        boolean runZero = zeros.isZero(first);
        for (long page = first + 1; page <= first + count; page++) {
            boolean zero = page < first + count && zeros.isZero(page);
            if (page == first + count || zero != runZero) {
                bytes += sendRun(out, region, runStart, page - runStart, runZero);
                runStart = page;
                runZero = zero;
            }
        }
        return bytes;
    }

    private long sendRun(SectionOutput out, RamRegion region, long first, long count, boolean zero) throws IOException {
        long gpa = region.gpa() + (first << PageBitmap.PAGE_SHIFT);
        long dataBytes = zero ? 0 : count << PageBitmap.PAGE_SHIFT;
        out.keepTogether(RUN_HEADER_BYTES + dataBytes);
        out.writeLong(gpa | (zero ? ZERO : DATA));
        out.writeInt((int) count);
        if (zero) {
            zeroPages += count;
        } else {
            out.write(region.host().asSlice(first << PageBitmap.PAGE_SHIFT, dataBytes));
            dataPages += count;
        }
        return RUN_HEADER_BYTES + dataBytes;
    }

    private static long maxRunPages(SectionOutput out) {
        return Math.max(1, Math.min(MAX_RUN_PAGES, (out.maxUnitBytes() - RUN_HEADER_BYTES) >>> PageBitmap.PAGE_SHIFT));
    }

    @Override
    public void load(FrameKind kind, SectionInput in, int version) throws IOException {
        if (kind == FrameKind.START) {
            RamLayout source = readLayout(in.readInt(), in::readLong);
            if (!source.equals(ram.layout())) {
                throw new MigrationException(Phase.LOAD,
                        "RAM layout differs: source " + source.ranges() + ", destination " + ram.layout().ranges());
            }
            return;
        }
        while (in.remaining() > 0) {
            loadRun(in);
        }
    }

    /** Reads the next long of a layout (from a frame or a RESUME payload). */
    @FunctionalInterface
    private interface LongReader {
        long read() throws IOException;
    }

    private static RamLayout readLayout(int count, LongReader longs) throws IOException {
        if (count < 1 || count > MAX_RANGES) {
            throw new MigrationException(Phase.LOAD, "RAM layout with " + count + " ranges");
        }
        List<RamLayout.Range> ranges = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            ranges.add(new RamLayout.Range(longs.read(), longs.read()));
        }
        return new RamLayout(ranges);
    }

    private void loadRun(SectionInput in) throws IOException {
        long header = in.readLong();
        int count = in.readInt();
        long gpa = header & -PageBitmap.PAGE_SIZE;
        int kind = (int) (header & (PageBitmap.PAGE_SIZE - 1));
        if (count <= 0 || (kind != DATA && kind != ZERO)) {
            throw new MigrationException(Phase.LOAD, String.format("RAM run at 0x%x: bad kind %d or page count %d", gpa, kind, count));
        }
        long bytes = (long) count << PageBitmap.PAGE_SHIFT;
        RamRegion region;
        try {
            region = ram.region(gpa, bytes);
        } catch (GuestMemoryException e) {
            throw new MigrationException(Phase.LOAD, "RAM run outside guest RAM: " + e.getMessage(), e);
        }
        long offset = gpa - region.gpa();
        long first = offset >>> PageBitmap.PAGE_SHIFT;
        PageBitmap written = loaded.get(region.index());
        if (resumed) {
            sinceResume.get(region.index()).mark(first, count);
        }
        if (kind == DATA) {
            region.writer().write(offset, in.read(bytes));
            written.mark(first, count);
            dataPages += count;
            return;
        }
        MemorySegment target = region.host().asSlice(offset, bytes);
        for (long page = written.nextSet(first); page >= 0 && page < first + count; page = written.nextSet(page + 1)) {
            target.asSlice((page - first) << PageBitmap.PAGE_SHIFT, PageBitmap.PAGE_SIZE).fill((byte) 0);
        }
        zeroPages += count;
    }
}
