package dev.ferry.kvm;

/**
 * A segment register as {@code struct kvm_segment} holds it: selector and the hidden descriptor
 * cache (base, limit, type and attribute bits).
 */
public record Segment(long base, int limit, int selector, int type, boolean present, int dpl, boolean db,
                      boolean s, boolean l, boolean g, boolean avl, boolean unusable) {

    /** A flat 64-bit code segment at CPL {@code dpl} (L=1, type execute/read, accessed). */
    public static Segment code64(int selector, int dpl) {
        return new Segment(0, 0xffff_ffff, selector, 0xb, true, dpl, false, true, true, true, false, false);
    }

    /** A flat read/write data segment at privilege {@code dpl}. */
    public static Segment data(int selector, int dpl) {
        return new Segment(0, 0xffff_ffff, selector, 0x3, true, dpl, true, true, false, true, false, false);
    }
}
