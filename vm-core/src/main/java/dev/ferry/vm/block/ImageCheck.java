package dev.ferry.vm.block;

import java.nio.file.Path;
import java.util.List;

/**
 * What a consistency check of an image found, counted as {@code qemu-img check} counts it: every
 * cluster's refcount recomputed from the references to it and compared with the stored one. A
 * stored refcount above the references is a leak (space wasted, no harm); one below, or a
 * reference that cannot be right (misaligned, past the end of the file, a flag that contradicts
 * the refcount), is a corruption.
 *
 * @param path the image file
 * @param format its format
 * @param checkErrors metadata the check could not read, so it is incomplete
 * @param corruptions errors that may corrupt data or further writes
 * @param leaks clusters with refcounts but no references
 * @param totalClusters the clusters of the virtual disk
 * @param allocatedClusters the clusters the image itself allocates for guest data
 * @param fragmentedClusters allocated clusters that do not follow the previous one in the file
 * @param compressedClusters allocated clusters stored compressed
 * @param imageEndOffset where the last cluster in use (referenced or refcounted) ends
 * @param corruptBit the qcow2 header's corrupt bit (QEMU opens such an image read-only)
 * @param findings one line per problem, in qemu-img's words, in the order found
 */
public record ImageCheck(
        Path path,
        ImageFormat format,
        long checkErrors,
        long corruptions,
        long leaks,
        long totalClusters,
        long allocatedClusters,
        long fragmentedClusters,
        long compressedClusters,
        long imageEndOffset,
        boolean corruptBit,
        List<String> findings) {

    /** Keeps an unmodifiable copy of the findings. */
    public ImageCheck {
        findings = List.copyOf(findings);
    }

    /**
     * qemu-img check's exit status for these findings.
     *
     * @return 1 check incomplete, 2 corruptions, 3 leaks only, 0 clean
     */
    public int exitStatus() {
        if (checkErrors > 0) {
            return 1;
        }
        return corruptions > 0 ? 2 : leaks > 0 ? 3 : 0;
    }
}
