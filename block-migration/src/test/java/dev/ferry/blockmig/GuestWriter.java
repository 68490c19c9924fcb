package dev.ferry.blockmig;

import dev.ferry.vm.block.BlockDevice;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A thread that hammers a disk like a busy guest: random writes of 4–64 KiB of random bytes
 * (some all-zero, some write-zeroes) anywhere on the disk, at up to a given rate, until paused.
 */
final class GuestWriter implements AutoCloseable {

    private final BlockDevice disk;
    private final Thread thread;
    private final AtomicLong writes = new AtomicLong();
    private volatile boolean stop;
    private volatile Throwable failure;

    /** A writer of at most {@code bytesPerSecond}; {@link Long#MAX_VALUE} writes as fast as it can. */
    GuestWriter(BlockDevice disk, long seed, long bytesPerSecond) {
        this.disk = disk;
        this.thread = Thread.ofPlatform().name("guest-writer").start(() -> run(seed, bytesPerSecond / 1e9));
    }

    private void run(long seed, double bytesPerNano) {
        long start = System.nanoTime();
        long written = 0;
        SplittableRandom random = new SplittableRandom(seed);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(64 * 1024, 4096);
            long sectors = disk.size() / BlockDevice.SECTOR_SIZE;
            while (!stop) {
                long length = (1 + random.nextInt(16)) * 4096L;
                long offset = random.nextLong(sectors - length / BlockDevice.SECTOR_SIZE) * BlockDevice.SECTOR_SIZE;
                MemorySegment data = buffer.asSlice(0, length);
                int kind = random.nextInt(10);
                if (kind == 0) {
                    disk.writeZeroes(offset, length, true);
                } else {
                    if (kind == 1) {
                        data.fill((byte) 0);
                    } else {
                        fill(data, random);
                    }
                    disk.write(offset, data);
                }
                writes.incrementAndGet();
                written += length;
                long due = start + (long) (written / bytesPerNano);
                LockSupport.parkNanos(due - System.nanoTime());
            }
        } catch (IOException e) {
            failure = new UncheckedIOException(e);
        } catch (RuntimeException | Error e) {
            failure = e;
        }
    }

    static void fill(MemorySegment data, SplittableRandom random) {
        for (long at = 0; at < data.byteSize(); at += Long.BYTES) {
            data.set(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, at, random.nextLong() | 1);
        }
    }

    long writes() {
        return writes.get();
    }

    /** Stops the writer and waits until its last write returned: the guest is paused. */
    void pause() throws InterruptedException {
        stop = true;
        thread.join();
        if (failure != null) {
            throw new AssertionError("guest writer failed", failure);
        }
    }

    @Override
    public void close() throws InterruptedException {
        pause();
    }
}
