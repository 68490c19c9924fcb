package dev.ferry.savevm;

import java.io.IOException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A live section for tests whose source sends one marker standing for a large range that reads as
 * zeroes (a few bytes on the wire, a lot of work at the destination), as a disk's zero half does.
 * Its destination holds the frame with the marker until {@link #release}, as a loaded machine's
 * applier would: the source has to count the marker's range as not there yet.
 */
final class ZeroMarkers implements LiveSection {

    private static final SectionId ID = new SectionId("zero-markers", 0, 1);

    private final long range;
    private final CountDownLatch applying = new CountDownLatch(1);
    private final CountDownLatch released = new CountDownLatch(1);
    private boolean sent;
    private volatile long appliedRange = -1;

    /** A source that sends one marker of {@code range} bytes, or a destination (range unused there). */
    ZeroMarkers(long range) {
        this.range = range;
    }

    @Override
    public SectionId id() {
        return ID;
    }

    @Override
    public void setup(SectionOutput out) {
    }

    @Override
    public synchronized long pendingBytes() {
        return sent ? 0 : 1;
    }

    @Override
    public synchronized void iterate(SectionOutput out, long budgetBytes) throws IOException {
        if (!sent) {
            out.writeLong(range);
            out.implies(range);
            sent = true;
        }
    }

    @Override
    public void complete(SectionOutput out) throws IOException {
        iterate(out, Long.MAX_VALUE);
    }

    @Override
    public void cleanup(boolean succeeded) {
    }

    /** Destination: the frame with the marker waits here until {@link #release}. */
    @Override
    public void load(FrameKind kind, SectionInput in, int version) throws IOException {
        if (kind != FrameKind.PART) {
            return;
        }
        long length = in.readLong();
        applying.countDown();
        try {
            released.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while held", e);
        }
        appliedRange = length;
    }

    /** Destination: waits until the marker's frame is being applied (and held); false after {@code seconds}. */
    boolean awaitApplying(long seconds) throws InterruptedException {
        return applying.await(seconds, TimeUnit.SECONDS);
    }

    /** Destination: lets the held frame be applied. */
    void release() {
        released.countDown();
    }

    /** Destination: the range the marker said, once applied; -1 before. */
    long appliedRange() {
        return appliedRange;
    }
}
