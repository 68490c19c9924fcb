package dev.ferry.blockmig;

import dev.ferry.savevm.Pausable;
import dev.ferry.vm.block.BlockDevice;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A thread that hammers a disk like a busy guest: random writes of 4–64 KiB of random bytes
 * (some all-zero, some write-zeroes) anywhere on the disk, at up to a given rate; or, made by
 * {@link #pages}, random 4 KiB pages of random data at page-aligned offsets, as a database or a
 * page cache writes. As the VM of a migration it pauses between writes: {@link #pause} returns
 * once no write is in flight.
 */
final class GuestWriter implements Pausable, AutoCloseable {

    private static final int PAGE = 4096;

    private final BlockDevice disk;
    private final Thread thread;
    private final AtomicLong writes = new AtomicLong();
    private final AtomicLong writtenBytes = new AtomicLong();
    private boolean paused;
    private boolean writing;
    private boolean stopped;
    private volatile Throwable failure;

    /** A writer of at most {@code bytesPerSecond}; {@link Long#MAX_VALUE} writes as fast as it can. */
    GuestWriter(BlockDevice disk, long seed, long bytesPerSecond) {
        this(disk, seed, bytesPerSecond, false);
    }

    private GuestWriter(BlockDevice disk, long seed, long bytesPerSecond, boolean pages) {
        this.disk = disk;
        this.thread = Thread.ofPlatform().name("guest-writer").start(() -> run(seed, bytesPerSecond / 1e9, pages));
    }

    /** A writer of random 4 KiB pages of random data at page-aligned offsets, {@code bytesPerSecond} at most. */
    static GuestWriter pages(BlockDevice disk, long seed, long bytesPerSecond) {
        return new GuestWriter(disk, seed, bytesPerSecond, true);
    }

    private void run(long seed, double bytesPerNano, boolean pages) {
        long start = System.nanoTime();
        long written = 0;
        SplittableRandom random = new SplittableRandom(seed);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(64 * 1024, 4096);
            long sectors = disk.size() / BlockDevice.SECTOR_SIZE;
            while (awaitTurn()) {
                try {
                    long length;
                    if (pages) {
                        length = PAGE;
                        MemorySegment page = buffer.asSlice(0, PAGE);
                        fill(page, random);
                        disk.write(random.nextLong(disk.size() / PAGE) * PAGE, page);
                    } else {
                        length = (1 + random.nextInt(16)) * 4096L;
                        long offset = random.nextLong(sectors - length / BlockDevice.SECTOR_SIZE) * BlockDevice.SECTOR_SIZE;
                        writeOnce(buffer.asSlice(0, length), offset, random);
                    }
                    writes.incrementAndGet();
                    writtenBytes.addAndGet(length);
                    written += length;
                } finally {
                    endTurn();
                }
                long due = start + (long) (written / bytesPerNano);
                LockSupport.parkNanos(due - System.nanoTime());
            }
        } catch (IOException e) {
            failure = new UncheckedIOException(e);
        } catch (RuntimeException | Error | InterruptedException e) {
            failure = e;
        }
    }

    private void writeOnce(MemorySegment data, long offset, SplittableRandom random) throws IOException {
        int kind = random.nextInt(10);
        if (kind == 0) {
            disk.writeZeroes(offset, data.byteSize(), true);
            return;
        }
        if (kind == 1) {
            data.fill((byte) 0);
        } else {
            fill(data, random);
        }
        disk.write(offset, data);
    }

    private synchronized boolean awaitTurn() throws InterruptedException {
        while (paused && !stopped) {
            wait();
        }
        writing = !stopped;
        return writing;
    }

    private synchronized void endTurn() {
        writing = false;
        notifyAll();
    }

    static void fill(MemorySegment data, SplittableRandom random) {
        for (long at = 0; at < data.byteSize(); at += Long.BYTES) {
            data.set(ValueLayout.JAVA_LONG_UNALIGNED, at, random.nextLong() | 1);
        }
    }

    long writes() {
        return writes.get();
    }

    /** Waits until at least {@code count} writes are done (each write's end notifies), at most 30 s. */
    synchronized void awaitWrites(long count) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (writes.get() < count) {
            long left = deadline - System.nanoTime();
            if (left <= 0 || failure != null) {
                throw new AssertionError("the guest wrote " + writes.get() + " times, not " + count
                        + (failure == null ? "" : ": " + failure));
            }
            wait(Math.max(1, left / 1_000_000));
        }
    }

    /** Bytes written so far, data and zeroes. */
    long writtenBytes() {
        return writtenBytes.get();
    }

    /** Waits until the write in flight returned; no write starts until {@link #resume}. */
    @Override
    public synchronized void pause() {
        paused = true;
        while (writing) {
            try {
                wait();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while pausing the writer", e);
            }
        }
    }

    @Override
    public synchronized void resume() {
        paused = false;
        notifyAll();
    }

    synchronized boolean paused() {
        return paused;
    }

    /** Stops the writer for good and reports a write that failed. */
    @Override
    public void close() throws InterruptedException {
        synchronized (this) {
            stopped = true;
            notifyAll();
        }
        thread.join();
        if (failure != null) {
            throw new AssertionError("guest writer failed", failure);
        }
    }
}
