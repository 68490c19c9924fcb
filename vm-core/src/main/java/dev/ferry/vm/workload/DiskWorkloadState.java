package dev.ferry.vm.workload;

import java.util.BitSet;

/**
 * Everything a {@link DiskWorkload} needs to carry on elsewhere: its settings, where its random
 * walk is, and the last sequence number it wrote to each block it ever wrote, which is also what
 * verification checks the disk against. Only written blocks are listed: the state travels inside
 * the guest's downtime, and a table of every block (1 MiB for 1 GiB of 4 KiB blocks, version 1)
 * took 25–50 ms there on a loaded machine. Migrated as a state section, so it is the wire
 * contract: change a component and bump {@link #VERSION}.
 *
 * @param settings what the workload does
 * @param random the random walk's state
 * @param lastSeq the last sequence number written, 0 before the first write
 * @param writtenBlocks the blocks written so far, ascending
 * @param writtenSeqs for each of {@code writtenBlocks}, the sequence number last written to it (not 0)
 * @param blocksWritten blocks written so far
 * @param blocksRead blocks read back so far
 * @param errors blocks that failed their check
 */
public record DiskWorkloadState(
        DiskWorkload.Settings settings,
        long random,
        int lastSeq,
        int[] writtenBlocks,
        int[] writtenSeqs,
        long blocksWritten,
        long blocksRead,
        long errors) {

    /** Bumped only on an incompatible change of this record or of {@link DiskWorkload.Settings}. */
    public static final int VERSION = 2;

    /**
     * Checks that each written block, ascending and inside the workload's region, has a sequence number.
     *
     * @throws IllegalArgumentException naming the first thing wrong
     */
    public DiskWorkloadState {
        if (writtenBlocks.length != writtenSeqs.length) {
            throw new IllegalArgumentException("disk workload state lists " + writtenBlocks.length + " blocks but "
                    + writtenSeqs.length + " sequence numbers");
        }
        for (int i = 0; i < writtenBlocks.length; i++) {
            if (writtenBlocks[i] < 0 || writtenBlocks[i] >= settings.blocks() || (i > 0 && writtenBlocks[i] <= writtenBlocks[i - 1])) {
                throw new IllegalArgumentException("disk workload state: block " + writtenBlocks[i] + " out of order or outside "
                        + settings.blocks() + " blocks");
            }
            if (writtenSeqs[i] == 0) {
                throw new IllegalArgumentException("disk workload state: block " + writtenBlocks[i] + " listed as written with sequence 0");
            }
        }
    }

    /**
     * The state of the blocks set in {@code written}, whose sequence numbers {@code seqs} holds per
     * block: only the written ones are visited (a scan of the whole table took ~10 ms of the pause,
     * cold code under load).
     */
    static DiskWorkloadState of(DiskWorkload.Settings settings, long random, int lastSeq, BitSet written, int[] seqs,
                                long blocksWritten, long blocksRead, long errors) {
        int[] blocks = new int[written.cardinality()];
        int[] lastSeqs = new int[blocks.length];
        int at = 0;
        for (int block = written.nextSetBit(0); block >= 0; block = written.nextSetBit(block + 1)) {
            blocks[at] = block;
            lastSeqs[at++] = seqs[block];
        }
        return new DiskWorkloadState(settings, random, lastSeq, blocks, lastSeqs, blocksWritten, blocksRead, errors);
    }

    /**
     * The sequence number last written to every block of the workload's region, 0 where none was.
     *
     * @return one entry per block
     */
    public int[] seqsPerBlock() {
        int[] seqs = new int[(int) settings.blocks()];
        for (int i = 0; i < writtenBlocks.length; i++) {
            seqs[writtenBlocks[i]] = writtenSeqs[i];
        }
        return seqs;
    }
}
