package dev.ferry.vm.migration;

/**
 * What the RAM section has done so far, for {@code info migrate}.
 *
 * @param totalPages guest RAM in 4 KiB pages
 * @param bulkPagesLeft pages the first full pass has not reached yet
 * @param dirtyPages pages known dirty and not sent again yet
 * @param dataPages pages sent with their content
 * @param zeroPages pages sent as a zero marker only
 * @param harvests dirty-log harvests after the bulk pass (one per round)
 * @param lastHarvestPages pages the latest harvest found dirty
 * @param throttlePercent share of time the vCPUs are held by auto-converge
 */
public record RamStats(
        long totalPages,
        long bulkPagesLeft,
        long dirtyPages,
        long dataPages,
        long zeroPages,
        long harvests,
        long lastHarvestPages,
        int throttlePercent) {
}
