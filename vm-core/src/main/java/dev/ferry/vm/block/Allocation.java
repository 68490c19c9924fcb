package dev.ferry.vm.block;

/** Where a range of a layered image gets its bytes from. */
public enum Allocation {
    /** Allocated in this layer: an incremental migration sends it. */
    DATA,
    /** Not in this layer; a backing layer supplies it. */
    BACKING,
    /** Reads as zeroes: a hole, a zero cluster, or unallocated with no backing data. */
    ZERO
}
