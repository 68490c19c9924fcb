package dev.ferry.vm.memory;

/**
 * Which pages of a RAM region the host never allocated: they read as zero, and a migration sends
 * them as zero without reading them (a read would make the kernel allocate and clear each one).
 * Answers hold at the moment of asking; a page written later is the dirty log's to report.
 */
public interface UntouchedPages {

    /** For memory that cannot be asked: every page may hold data. */
    UntouchedPages UNKNOWN = new UntouchedPages() {
        @Override
        public long nextTouched(long page) {
            return page;
        }

        @Override
        public long nextUntouched(long page) {
            return Long.MAX_VALUE;
        }
    };

    /**
     * The first page at or after {@code page} that may hold data; the pages before it read as zero.
     *
     * @param page a page of the region
     * @return that page, or one past it (the region's page count if none follows)
     */
    long nextTouched(long page);

    /**
     * The first page at or after {@code page} that the host never allocated.
     *
     * @param page a page of the region
     * @return that page or one past it; at least the region's page count if none follows
     */
    long nextUntouched(long page);
}
