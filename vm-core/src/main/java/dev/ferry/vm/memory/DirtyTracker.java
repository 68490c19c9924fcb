package dev.ferry.vm.memory;

import java.util.List;

/**
 * Tracks the guest pages written between harvests, for a migration: started before the first
 * copy, harvested after each pass, stopped at the end whatever happened. A harvest clears what it
 * reports before returning, so a page written after the harvest shows up in the next one.
 */
public interface DirtyTracker {

    /** Starts tracking: from here on every write to guest RAM is recorded. */
    void start();

    /**
     * Adds the pages written since {@link #start} or the previous harvest to {@code into}, one
     * bitmap per RAM region in region order, and clears them here.
     *
     * @param into one bitmap per RAM region, in region order
     */
    void harvest(List<PageBitmap> into);

    /** Stops tracking and frees what it took; safe to call when not started. */
    void stop();
}
