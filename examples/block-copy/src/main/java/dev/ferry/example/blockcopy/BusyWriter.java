package dev.ferry.example.blockcopy;

import dev.ferry.savevm.Pausable;
import dev.ferry.vm.block.BlockDevice;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A thread that keeps writing random 4-64 KiB blocks all over a disk, as a busy guest would.
 * It is the copy's {@link Pausable}: the copy pauses it at the switch so the last chunks and the
 * digests are final, and resumes it if the copy fails. One permit guards the disk: each write
 * holds it, and {@link #pause} takes it and keeps it until {@link #resume}, so pause returns only
 * once no write is in flight.
 */
final class BusyWriter implements Pausable, AutoCloseable {

    private static final int MAX_WRITE = 64 << 10;

    private final BlockDevice disk;
    private final long bytesPerSecond;
    private final Semaphore turn = new Semaphore(1);
    private final AtomicLong writes = new AtomicLong();
    private final Thread thread;
    private volatile Exception failure;

    private BusyWriter(BlockDevice disk, long bytesPerSecond) {
        this.disk = disk;
        this.bytesPerSecond = bytesPerSecond;
        this.thread = Thread.ofPlatform().name("busy-writer").start(this::run);
    }

    /** Starts writing at about {@code bytesPerSecond}. */
    static BusyWriter start(BlockDevice disk, long bytesPerSecond) {
        return new BusyWriter(disk, bytesPerSecond);
    }

    /** Fills {@code [offset, offset + length)} with random bytes. */
    static void fill(BlockDevice disk, long offset, long length) throws IOException {
        SplittableRandom random = new SplittableRandom(offset);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment block = arena.allocate(1 << 20, 4096);
            for (long at = offset; at < offset + length; at += block.byteSize()) {
                randomize(block, random);
                disk.write(at, block);
            }
        }
    }

    /** Writes until interrupted by {@link #close}. */
    private void run() {
        SplittableRandom random = new SplittableRandom(42);
        long start = System.nanoTime();
        long written = 0;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(MAX_WRITE, 4096);
            while (!Thread.currentThread().isInterrupted()) {
                MemorySegment data = buffer.asSlice(0, (1 + random.nextInt(MAX_WRITE / 4096)) * 4096L);
                randomize(data, random);
                long sectors = (disk.size() - data.byteSize()) / BlockDevice.SECTOR_SIZE;
                turn.acquire();
                try {
                    disk.write(random.nextLong(sectors + 1) * BlockDevice.SECTOR_SIZE, data);
                } finally {
                    turn.release();
                }
                writes.incrementAndGet();
                written += data.byteSize();
                LockSupport.parkNanos(start + written * 1_000_000_000L / bytesPerSecond - System.nanoTime());
            }
        } catch (InterruptedException e) {
            // closed
        } catch (IOException e) {
            failure = e;
        }
    }

    private static void randomize(MemorySegment data, SplittableRandom random) {
        for (long at = 0; at < data.byteSize(); at += Long.BYTES) {
            data.set(ValueLayout.JAVA_LONG_UNALIGNED, at, random.nextLong());
        }
    }

    /** Writes completed so far. */
    long writes() {
        return writes.get();
    }

    @Override
    public void pause() {
        turn.acquireUninterruptibly();
    }

    @Override
    public void resume() {
        turn.release();
    }

    /** Stops the thread for good, paused or not; a write that failed is reported here. */
    @Override
    public void close() throws IOException {
        thread.interrupt();
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while stopping the busy writer", e);
        }
        if (failure != null) {
            throw new IOException("the busy writer failed: " + failure.getMessage(), failure);
        }
    }
}
