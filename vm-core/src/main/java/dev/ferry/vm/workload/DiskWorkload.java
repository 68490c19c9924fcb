package dev.ferry.vm.workload;

import dev.ferry.vm.block.BlockDevice;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.BitSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A host thread that writes and reads back self-checking blocks ({@link VerifiableBlock}) on a
 * disk at a set rate: the built-in guest's disk workload, for a VMM that runs no vCPU (no
 * /dev/kvm, or {@code --machine none}). Its state migrates with the disk, so the destination
 * carries on writing and can verify every block the source wrote.
 */
public final class DiskWorkload implements AutoCloseable {

    /**
     * What the workload does: its rate, block size and the part of the disk it uses.
     *
     * @param seed the random walk and the block contents
     * @param bytesPerSecond write and read rate; 0 keeps the workload idle
     * @param blockSize bytes per block, a multiple of 512
     * @param blocks how many blocks from the start of the disk it uses
     * @param readPercent share of operations that read back a written block
     */
    public record Settings(long seed, long bytesPerSecond, int blockSize, long blocks, int readPercent) {

        /** 1 GiB of 4 KiB blocks: at most 2 MiB of state (two ints per written block), inside one frame. */
        public static final long MAX_BLOCKS = 1L << 18;

        /**
         * Checks the sizes and rates.
         *
         * @throws IllegalArgumentException naming the first bad value
         */
        public Settings {
            if (blockSize < BlockDevice.SECTOR_SIZE || blockSize % BlockDevice.SECTOR_SIZE != 0 || blockSize > (1 << 20)) {
                throw new IllegalArgumentException("workload block size " + blockSize + " must be a multiple of 512 up to 1 MiB");
            }
            if (blocks <= 0 || blocks > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("workload block count " + blocks + " is out of range");
            }
            if (readPercent < 0 || readPercent > 100 || bytesPerSecond < 0) {
                throw new IllegalArgumentException("workload read percent must be 0..100 and the rate not negative");
            }
        }

        /**
         * Settings that use a disk of {@code diskBytes} from its start, at most {@link #MAX_BLOCKS}
         * blocks: the sequence table travels in one state frame at the switch.
         *
         * @param diskBytes the disk's size
         * @param seed the random walk and the block contents
         * @param bytesPerSecond write and read rate; 0 idle
         * @param blockSize bytes per block, a multiple of 512
         * @param readPercent share of operations that read back a block
         * @return the settings
         */
        public static Settings forDisk(long diskBytes, long seed, long bytesPerSecond, int blockSize, int readPercent) {
            return new Settings(seed, bytesPerSecond, blockSize, Math.min(diskBytes / blockSize, MAX_BLOCKS), readPercent);
        }
    }

    /**
     * What the workload did so far.
     *
     * @param blocksWritten blocks written
     * @param blocksRead blocks read back and checked
     * @param errors blocks whose check failed
     */
    public record Counters(long blocksWritten, long blocksRead, long errors) {
    }

    /**
     * The outcome of checking every block the workload wrote.
     *
     * @param blocksChecked written blocks read and checked
     * @param badBlocks blocks that failed the check
     * @param firstBadBlock index of the first bad block, or -1
     */
    public record Verification(long blocksChecked, long badBlocks, long firstBadBlock) {

        /**
         * Whether every block checked out.
         *
         * @return true if no block was bad
         */
        public boolean ok() {
            return badBlocks == 0;
        }

        /**
         * One line in the guest's words.
         *
         * @return the line, e.g. {@code verify ok blocks=4096}
         */
        public String describe() {
            return ok() ? "verify ok blocks=" + blocksChecked
                    : "verify FAILED blocks=" + blocksChecked + " bad_blocks=" + badBlocks + " first=" + firstBadBlock;
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(DiskWorkload.class);
    /** A pause longer than this is not made up for afterwards. */
    private static final long MAX_BACKLOG_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final BlockDevice disk;
    private final Settings settings;
    private final long diskSeed;
    private final int[] seqs;
    /** The blocks whose {@link #seqs} entry is not 0. */
    private final BitSet written = new BitSet();
    private final Arena arena = Arena.ofShared();
    private final MemorySegment buffer;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final Thread thread;

    private long random;
    private int lastSeq;
    // Written by the workload thread under the lock, read without it: a monitor's counters must
    // not wait for a write the migration throttle holds up.
    private volatile long blocksWritten;
    private volatile long blocksRead;
    private volatile long errors;
    // Volatile, and set before pause() and close() take the lock: the writer holds the lock
    // through a catch-up burst (up to MAX_BACKLOG_NANOS of writes after it was starved of CPU),
    // so waiting for the lock let a loaded host's burst of ~800 KiB at 8 MiB/s land after the
    // migration decided to pause, in its downtime; a vCPU stops at once.
    private volatile boolean paused = true;
    private volatile boolean closed;

    private DiskWorkload(BlockDevice disk, DiskWorkloadState state) {
        this.disk = disk;
        this.settings = state.settings();
        if (settings.blocks() * (long) settings.blockSize() > disk.size()) {
            throw new IllegalArgumentException("disk workload needs " + settings.blocks() * (long) settings.blockSize()
                    + " bytes but " + disk.path() + " has " + disk.size());
        }
        this.diskSeed = VerifiableBlock.diskSeed(settings.seed());
        this.seqs = state.seqsPerBlock();
        for (int block : state.writtenBlocks()) {
            written.set(block);
        }
        this.random = state.random();
        this.lastSeq = state.lastSeq();
        this.blocksWritten = state.blocksWritten();
        this.blocksRead = state.blocksRead();
        this.errors = state.errors();
        this.buffer = arena.allocate(settings.blockSize(), 4096);
        this.thread = Thread.ofPlatform().daemon().name("disk-workload").unstarted(this::run);
    }

    /**
     * A fresh workload, paused: nothing written yet.
     *
     * @param disk the disk it writes
     * @param settings what it does
     * @return the workload; {@link #resume()} starts it
     */
    public static DiskWorkload create(BlockDevice disk, Settings settings) {
        long start = VerifiableBlock.mix64(settings.seed() ^ 0x72616e64L) | 1;
        return restore(disk, new DiskWorkloadState(settings, start, 0, new int[0], new int[0], 0, 0, 0));
    }

    /**
     * A workload that carries on from {@code state}, paused.
     *
     * @param disk the disk it writes, holding the source's blocks
     * @param state from the source's {@link #state()}
     * @return the workload; {@link #resume()} starts it
     */
    public static DiskWorkload restore(BlockDevice disk, DiskWorkloadState state) {
        DiskWorkload workload = new DiskWorkload(disk, state);
        workload.thread.start();
        return workload;
    }

    /**
     * What the workload does.
     *
     * @return the settings
     */
    public Settings settings() {
        return settings;
    }

    /** Lets it run (again). */
    public void resume() {
        withLock(() -> paused = false);
    }

    /** Stops it between two operations; returns once no write is in flight. */
    public void pause() {
        paused = true;
        awaitWriterIdle();
    }

    /**
     * The state to carry elsewhere; call while paused.
     *
     * @return the state
     */
    public DiskWorkloadState state() {
        lock.lock();
        try {
            if (!paused) {
                throw new IllegalStateException("disk workload state taken while it runs");
            }
            return DiskWorkloadState.of(settings, random, lastSeq, written, seqs, blocksWritten, blocksRead, errors);
        } finally {
            lock.unlock();
        }
    }

    /**
     * A snapshot that never waits on the workload's lock (a throttled write may hold it for seconds).
     *
     * @return the counters
     */
    public Counters counters() {
        return new Counters(blocksWritten, blocksRead, errors);
    }

    /**
     * Reads back every block it ever wrote and checks each; holds writing off meanwhile.
     *
     * @return the outcome
     * @throws IOException if the disk cannot be read
     */
    public Verification verify() throws IOException {
        lock.lock();
        try {
            long checked = 0;
            long bad = 0;
            long first = -1;
            for (int block = 0; block < seqs.length; block++) {
                if (seqs[block] == 0) {
                    continue;
                }
                checked++;
                disk.read((long) block * settings.blockSize(), buffer);
                if (!VerifiableBlock.matches(buffer, diskSeed, block, seqs[block])) {
                    bad++;
                    first = first < 0 ? block : first;
                }
            }
            return new Verification(checked, bad, first);
        } finally {
            lock.unlock();
        }
    }

    private void run() {
        long budgetNanos = 0;
        long last = System.nanoTime();
        lock.lock();
        try {
            while (!closed) {
                if (paused || settings.bytesPerSecond() == 0) {
                    changed.await();
                    last = System.nanoTime();
                    continue;
                }
                long now = System.nanoTime();
                budgetNanos = Math.min(budgetNanos + (now - last), MAX_BACKLOG_NANOS);
                last = now;
                long costNanos = TimeUnit.SECONDS.toNanos(settings.blockSize()) / settings.bytesPerSecond();
                if (budgetNanos < costNanos) {
                    changed.awaitNanos(costNanos - budgetNanos);
                    continue;
                }
                budgetNanos -= costNanos;
                step();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException | RuntimeException e) {
            LOG.error("disk workload on {} stopped: {}", disk.path(), e.getMessage());
            errors++;
        } finally {
            lock.unlock();
        }
    }

    /** One write, or one read-back check; runs under the lock. */
    private void step() throws IOException {
        int block = (int) Long.remainderUnsigned(nextRandom(), settings.blocks());
        long offset = (long) block * settings.blockSize();
        boolean read = seqs[block] != 0 && Long.remainderUnsigned(nextRandom(), 100) < settings.readPercent();
        if (read) {
            disk.read(offset, buffer);
            blocksRead++;
            if (!VerifiableBlock.matches(buffer, diskSeed, block, seqs[block])) {
                errors++;
                LOG.warn("disk workload: block {} of {} does not hold seq {}", block, disk.path(), seqs[block]);
            }
            return;
        }
        int seq = ++lastSeq;
        VerifiableBlock.fill(buffer, diskSeed, block, seq);
        disk.write(offset, buffer);
        seqs[block] = seq;
        written.set(block);
        blocksWritten++;
    }

    /** xorshift64*: a walk whose whole state is one long, so it migrates. */
    private long nextRandom() {
        random ^= random >>> 12;
        random ^= random << 25;
        random ^= random >>> 27;
        return random * 0x2545F4914F6CDD1DL;
    }

    /** Returns once the writer let go of the lock (no block in flight), waking it to see a flag just set. */
    private void awaitWriterIdle() {
        withLock(() -> { });
    }

    private void withLock(Runnable change) {
        lock.lock();
        try {
            change.run();
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        closed = true;
        awaitWriterIdle();
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        arena.close();
    }
}
