package dev.ferry.vm.workload;

/**
 * Everything a {@link DiskWorkload} needs to carry on elsewhere: its settings, where its random
 * walk is, and the last sequence number it wrote to every block (0: never written), which is also
 * what verification checks the disk against. Migrated as a state section, so it is the wire
 * contract: change a component and bump {@link #VERSION}.
 */
public record DiskWorkloadState(
        DiskWorkload.Settings settings,
        long random,
        int lastSeq,
        int[] seqs,
        long blocksWritten,
        long blocksRead,
        long errors) {

    public static final int VERSION = 1;

    public DiskWorkloadState {
        if (seqs.length != settings.blocks()) {
            throw new IllegalArgumentException("disk workload state has " + seqs.length
                    + " block sequence numbers for " + settings.blocks() + " blocks");
        }
    }
}
