package dev.ferry.kvm;

/**
 * A segment register as {@code struct kvm_segment} holds it: selector and the hidden descriptor
 * cache (base, limit, type and attribute bits).
 *
 * @param base linear base address
 * @param limit segment limit in bytes
 * @param selector the visible selector
 * @param type the 4-bit descriptor type
 * @param present the P bit
 * @param dpl descriptor privilege level, 0 to 3
 * @param db default operand size (D/B bit)
 * @param s code or data segment, not system (S bit)
 * @param l 64-bit code segment (L bit)
 * @param g limit counted in 4 KiB units (G bit)
 * @param avl the bit left to software
 * @param unusable KVM's flag for a null or unusable segment
 */
public record Segment(long base, int limit, int selector, int type, boolean present, int dpl, boolean db,
                      boolean s, boolean l, boolean g, boolean avl, boolean unusable) {

    /**
     * A flat 64-bit code segment at CPL {@code dpl} (L=1, type execute/read, accessed).
     *
     * @param selector the selector to load
     * @param dpl privilege level, 0 to 3
     * @return the segment
     */
    public static Segment code64(int selector, int dpl) {
        return new Segment(0, 0xffff_ffff, selector, 0xb, true, dpl, false, true, true, true, false, false);
    }

    /**
     * A flat read/write data segment at privilege {@code dpl}.
     *
     * @param selector the selector to load
     * @param dpl privilege level, 0 to 3
     * @return the segment
     */
    public static Segment data(int selector, int dpl) {
        return new Segment(0, 0xffff_ffff, selector, 0x3, true, dpl, true, true, false, true, false, false);
    }
}
