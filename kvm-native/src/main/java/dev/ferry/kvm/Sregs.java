package dev.ferry.kvm;

import static dev.ferry.kvm.bindings.CLayouts.offset;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.ferry.kvm.bindings.KvmDtable;
import dev.ferry.kvm.bindings.KvmSegment;
import dev.ferry.kvm.bindings.KvmSregs;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * Special registers ({@code struct kvm_sregs}): segment registers, GDTR/IDTR, control registers,
 * EFER, the APIC base and the bitmap of pending external interrupts (without an in-kernel irqchip).
 *
 * @param cs code segment
 * @param ds data segment
 * @param es extra segment
 * @param fs FS segment
 * @param gs GS segment
 * @param ss stack segment
 * @param tr task register
 * @param ldt local descriptor table register
 * @param gdt GDTR
 * @param idt IDTR
 * @param cr0 CR0
 * @param cr2 CR2, the last page-fault address
 * @param cr3 CR3, the page-table root
 * @param cr4 CR4
 * @param cr8 CR8, the task priority
 * @param efer the EFER MSR
 * @param apicBase the APIC base MSR
 * @param interruptBitmap 4 words, one bit per vector
 */
public record Sregs(Segment cs, Segment ds, Segment es, Segment fs, Segment gs, Segment ss, Segment tr,
                    Segment ldt, DTable gdt, DTable idt, long cr0, long cr2, long cr3, long cr4, long cr8,
                    long efer, long apicBase, List<Long> interruptBitmap) {

    /** CR0.PE: protected mode. */
    public static final long CR0_PE = 1L;
    /** CR0.ET: extension type, fixed to 1 on modern CPUs. */
    public static final long CR0_ET = 1L << 4;
    /** CR0.NW: not write-through; with CD, caching off. */
    public static final long CR0_NW = 1L << 29;
    /** CR0.CD: cache disable. */
    public static final long CR0_CD = 1L << 30;
    /** CR0.NE: x87 errors as exceptions. */
    public static final long CR0_NE = 1L << 5;
    /** CR0.WP: supervisor writes honour read-only pages. */
    public static final long CR0_WP = 1L << 16;
    /** CR0.PG: paging. */
    public static final long CR0_PG = 1L << 31;
    /** CR4.PAE: physical address extension, needed for long mode. */
    public static final long CR4_PAE = 1L << 5;
    /** EFER.LME: long mode enable. */
    public static final long EFER_LME = 1L << 8;
    /** EFER.LMA: long mode active. */
    public static final long EFER_LMA = 1L << 10;

    private static final long SEGMENTS = offset(KvmSregs.LAYOUT, "cs");
    private static final long SEGMENT_SIZE = offset(KvmSregs.LAYOUT, "ds") - SEGMENTS;
    private static final long GDT = offset(KvmSregs.LAYOUT, "gdt");
    private static final long IDT = offset(KvmSregs.LAYOUT, "idt");
    private static final long CR0 = offset(KvmSregs.LAYOUT, "cr0");
    private static final long BITMAP = offset(KvmSregs.LAYOUT, "interrupt_bitmap");
    private static final long TABLE_BASE = offset(KvmDtable.LAYOUT, "base");
    private static final long TABLE_LIMIT = offset(KvmDtable.LAYOUT, "limit");
    private static final long SEG_BASE = offset(KvmSegment.LAYOUT, "base");
    private static final long SEG_LIMIT = offset(KvmSegment.LAYOUT, "limit");
    private static final long SEG_SELECTOR = offset(KvmSegment.LAYOUT, "selector");

    /**
     * Copies the interrupt bitmap and checks its size.
     *
     * @throws IllegalArgumentException if the bitmap is not 4 words
     */
    public Sregs {
        interruptBitmap = List.copyOf(interruptBitmap);
        if (interruptBitmap.size() != 4) {
            throw new IllegalArgumentException("interruptBitmap has 4 words (256 vectors), got " + interruptBitmap.size());
        }
    }

    /**
     * This state switched to 64-bit long mode with paging rooted at {@code cr3}: CS/DS/ES/FS/GS/SS
     * flat at CPL0 (selectors 0x8 and 0x10; no GDT is read), CR0.PE|PG with caches on (CD, NW
     * cleared), CR4.PAE, EFER.LME|LMA.
     *
     * @param cr3 guest physical address of the PML4
     * @return the new state
     */
    public Sregs withLongMode(long cr3) {
        return withLongMode(cr3, 0x8, 0x10, gdt);
    }

    /**
     * As {@link #withLongMode(long)}, with the flat code and data segments under the selectors
     * {@code codeSelector} and {@code dataSelector} of the descriptor table {@code table}, for a
     * guest that reloads them from it (Linux's 64-bit boot protocol wants 0x10 and 0x18).
     *
     * @param cr3 the page-table root
     * @param codeSelector CS
     * @param dataSelector DS, ES, FS, GS and SS
     * @param table the GDT the selectors index
     * @return the long-mode state
     */
    public Sregs withLongMode(long cr3, int codeSelector, int dataSelector, DTable table) {
        Segment code = Segment.code64(codeSelector, 0);
        Segment data = Segment.data(dataSelector, 0);
        return new Sregs(code, data, data, data, data, data, tr, ldt, table, idt,
                cr0 & ~(CR0_CD | CR0_NW) | CR0_PE | CR0_ET | CR0_NE | CR0_WP | CR0_PG, cr2, cr3, cr4 | CR4_PAE, cr8,
                efer | EFER_LME | EFER_LMA, apicBase, interruptBitmap);
    }

    static Sregs read(MemorySegment s) {
        Segment[] seg = new Segment[8];
        for (int i = 0; i < seg.length; i++) {
            seg[i] = readSegment(s, SEGMENTS + i * SEGMENT_SIZE);
        }
        long[] cr = new long[7];
        for (int i = 0; i < cr.length; i++) {
            cr[i] = s.get(JAVA_LONG, CR0 + 8L * i);
        }
        List<Long> bitmap = List.of(s.get(JAVA_LONG, BITMAP), s.get(JAVA_LONG, BITMAP + 8),
                s.get(JAVA_LONG, BITMAP + 16), s.get(JAVA_LONG, BITMAP + 24));
        return new Sregs(seg[0], seg[1], seg[2], seg[3], seg[4], seg[5], seg[6], seg[7],
                readTable(s, GDT), readTable(s, IDT), cr[0], cr[1], cr[2], cr[3], cr[4], cr[5], cr[6], bitmap);
    }

    void write(MemorySegment s) {
        Segment[] seg = {cs, ds, es, fs, gs, ss, tr, ldt};
        for (int i = 0; i < seg.length; i++) {
            writeSegment(s, SEGMENTS + i * SEGMENT_SIZE, seg[i]);
        }
        writeTable(s, GDT, gdt);
        writeTable(s, IDT, idt);
        long[] cr = {cr0, cr2, cr3, cr4, cr8, efer, apicBase};
        for (int i = 0; i < cr.length; i++) {
            s.set(JAVA_LONG, CR0 + 8L * i, cr[i]);
        }
        for (int i = 0; i < 4; i++) {
            s.set(JAVA_LONG, BITMAP + 8L * i, interruptBitmap.get(i));
        }
    }

    private static Segment readSegment(MemorySegment s, long at) {
        return new Segment(s.get(JAVA_LONG, at + SEG_BASE), s.get(JAVA_INT, at + SEG_LIMIT),
                Short.toUnsignedInt(s.get(JAVA_SHORT, at + SEG_SELECTOR)), byteAt(s, at, "type"),
                flag(s, at, "present"), byteAt(s, at, "dpl"), flag(s, at, "db"), flag(s, at, "s"), flag(s, at, "l"),
                flag(s, at, "g"), flag(s, at, "avl"), flag(s, at, "unusable"));
    }

    private static void writeSegment(MemorySegment s, long at, Segment v) {
        s.set(JAVA_LONG, at + SEG_BASE, v.base());
        s.set(JAVA_INT, at + SEG_LIMIT, v.limit());
        s.set(JAVA_SHORT, at + SEG_SELECTOR, (short) v.selector());
        setByte(s, at, "type", v.type());
        setByte(s, at, "dpl", v.dpl());
        setByte(s, at, "present", v.present() ? 1 : 0);
        setByte(s, at, "db", v.db() ? 1 : 0);
        setByte(s, at, "s", v.s() ? 1 : 0);
        setByte(s, at, "l", v.l() ? 1 : 0);
        setByte(s, at, "g", v.g() ? 1 : 0);
        setByte(s, at, "avl", v.avl() ? 1 : 0);
        setByte(s, at, "unusable", v.unusable() ? 1 : 0);
    }

    private static int byteAt(MemorySegment s, long at, String field) {
        return Byte.toUnsignedInt(s.get(JAVA_BYTE, at + offset(KvmSegment.LAYOUT, field)));
    }

    private static boolean flag(MemorySegment s, long at, String field) {
        return byteAt(s, at, field) != 0;
    }

    private static void setByte(MemorySegment s, long at, String field, int value) {
        s.set(JAVA_BYTE, at + offset(KvmSegment.LAYOUT, field), (byte) value);
    }

    private static DTable readTable(MemorySegment s, long at) {
        return new DTable(s.get(JAVA_LONG, at + TABLE_BASE), Short.toUnsignedInt(s.get(JAVA_SHORT, at + TABLE_LIMIT)));
    }

    private static void writeTable(MemorySegment s, long at, DTable v) {
        s.set(JAVA_LONG, at + TABLE_BASE, v.base());
        s.set(JAVA_SHORT, at + TABLE_LIMIT, (short) v.limit());
    }
}
