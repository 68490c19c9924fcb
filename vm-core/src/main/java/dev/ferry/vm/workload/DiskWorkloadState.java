package dev.ferry.vm.workload;

/**
 * Everything a {@link DiskWorkload} needs to carry on elsewhere: its settings, where its random
 * walk is, and the last sequence number it wrote to every block (0: never written), which is also
 * what verification checks the disk against. Migrated as a state section, so it is the wire
 * contract: change a component and bump {@link #VERSION}.
 *
 * @param settings what the workload does
 * @param random the random walk's state
 * @param lastSeq the last sequence number written, 0 before the first write
 * @param seqs per block, the sequence number last written to it
 * @param blocksWritten blocks written so far
 * @param blocksRead blocks read back so far
 * @param errors blocks that failed their check
 */
public record DiskWorkloadState(
        DiskWorkload.Settings settings,
        long random,
        int lastSeq,
        int[] seqs,
        long blocksWritten,
        long blocksRead,
        long errors) {

    /** Bumped only on an incompatible change of this record or of {@link DiskWorkload.Settings}. */
    public static final int VERSION = 1;

    /**
     * Checks that there is one sequence number per block.
     *
     * @throws IllegalArgumentException if {@code seqs} does not match the block count
     */
    public DiskWorkloadState {
        if (seqs.length != settings.blocks()) {
            throw new IllegalArgumentException("disk workload state has " + seqs.length
                    + " block sequence numbers for " + settings.blocks() + " blocks");
        }
    }
}
