package dev.ferry.kvm.bindings;

import static dev.ferry.kvm.bindings.CLayouts.ANON;
import static dev.ferry.kvm.bindings.CLayouts.array;
import static dev.ferry.kvm.bindings.CLayouts.offset;
import static dev.ferry.kvm.bindings.CLayouts.struct;
import static dev.ferry.kvm.bindings.CLayouts.u16;
import static dev.ferry.kvm.bindings.CLayouts.u32;
import static dev.ferry.kvm.bindings.CLayouts.u64;
import static dev.ferry.kvm.bindings.CLayouts.u8;
import static dev.ferry.kvm.bindings.CLayouts.union;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

/**
 * {@code struct kvm_run}, the area the vCPU fd maps, with the exit unions a VMM handles
 * (hw, fail_entry, ex, io, mmio, internal, system_event).
 */
public final class KvmRun {

    public static final StructLayout LAYOUT = struct("kvm_run",
            u8("request_interrupt_window"), u8("immediate_exit"), array("padding1", 6, JAVA_BYTE),
            u32("exit_reason"), u8("ready_for_interrupt_injection"), u8("if_flag"), u16("flags"),
            u64("cr8"), u64("apic_base"),
            union(ANON + "$exit",
                    struct("hw", u64("hardware_exit_reason")),
                    struct("fail_entry", u64("hardware_entry_failure_reason"), u32("cpu")),
                    struct("ex", u32("exception"), u32("error_code")),
                    struct("io", u8("direction"), u8("size"), u16("port"), u32("count"), u64("data_offset")),
                    struct("mmio", u64("phys_addr"), array("data", 8, JAVA_BYTE), u32("len"), u8("is_write")),
                    struct("internal", u32("suberror"), u32("ndata"), array("data", 16, JAVA_LONG)),
                    struct("system_event", u32("type"), u32("ndata"),
                            union(ANON + "$event", u64("flags"), array("data", 16, JAVA_LONG))),
                    array("padding", 256, JAVA_BYTE)),
            u64("kvm_valid_regs"), u64("kvm_dirty_regs"),
            union("s", array("padding", 2048, JAVA_BYTE)));

    private static final long IMMEDIATE_EXIT = offset(LAYOUT, "immediate_exit");
    private static final long EXIT_REASON = offset(LAYOUT, "exit_reason");
    private static final long FAIL_ENTRY_REASON = offset(LAYOUT, "fail_entry.hardware_entry_failure_reason");
    private static final long FAIL_ENTRY_CPU = offset(LAYOUT, "fail_entry.cpu");
    private static final long IO_DIRECTION = offset(LAYOUT, "io.direction");
    private static final long IO_SIZE = offset(LAYOUT, "io.size");
    private static final long IO_PORT = offset(LAYOUT, "io.port");
    private static final long IO_COUNT = offset(LAYOUT, "io.count");
    private static final long IO_DATA_OFFSET = offset(LAYOUT, "io.data_offset");
    private static final long MMIO_PHYS_ADDR = offset(LAYOUT, "mmio.phys_addr");
    private static final long MMIO_LEN = offset(LAYOUT, "mmio.len");
    private static final long MMIO_IS_WRITE = offset(LAYOUT, "mmio.is_write");
    private static final long INTERNAL_SUBERROR = offset(LAYOUT, "internal.suberror");
    private static final long INTERNAL_NDATA = offset(LAYOUT, "internal.ndata");
    private static final long SYSTEM_EVENT_TYPE = offset(LAYOUT, "system_event.type");
    private static final long SYSTEM_EVENT_NDATA = offset(LAYOUT, "system_event.ndata");
    private static final long HW_EXIT_REASON = offset(LAYOUT, "hw.hardware_exit_reason");

    /** Offset of {@code mmio.data}: the bytes of an MMIO access. */
    public static final long MMIO_DATA = offset(LAYOUT, "mmio.data");
    /** Offset of {@code internal.data}. */
    public static final long INTERNAL_DATA = offset(LAYOUT, "internal.data");
    /** Offset of {@code system_event.data}. */
    public static final long SYSTEM_EVENT_DATA = offset(LAYOUT, "system_event.data");

    // Another thread writes immediate_exit to kick the vCPU: it must be a volatile store.
    private static final VarHandle IMMEDIATE_EXIT_VH = JAVA_BYTE.varHandle();

    private KvmRun() {
    }

    public static void immediateExit(MemorySegment run, boolean exit) {
        IMMEDIATE_EXIT_VH.setVolatile(run, IMMEDIATE_EXIT, (byte) (exit ? 1 : 0));
    }

    public static int exitReason(MemorySegment run) {
        return run.get(JAVA_INT, EXIT_REASON);
    }

    public static long hardwareExitReason(MemorySegment run) {
        return run.get(JAVA_LONG, HW_EXIT_REASON);
    }

    public static long failEntryReason(MemorySegment run) {
        return run.get(JAVA_LONG, FAIL_ENTRY_REASON);
    }

    public static int failEntryCpu(MemorySegment run) {
        return run.get(JAVA_INT, FAIL_ENTRY_CPU);
    }

    public static int ioDirection(MemorySegment run) {
        return run.get(JAVA_BYTE, IO_DIRECTION);
    }

    public static int ioSize(MemorySegment run) {
        return Byte.toUnsignedInt(run.get(JAVA_BYTE, IO_SIZE));
    }

    public static int ioPort(MemorySegment run) {
        return Short.toUnsignedInt(run.get(JAVA_SHORT, IO_PORT));
    }

    public static int ioCount(MemorySegment run) {
        return run.get(JAVA_INT, IO_COUNT);
    }

    public static long ioDataOffset(MemorySegment run) {
        return run.get(JAVA_LONG, IO_DATA_OFFSET);
    }

    public static long mmioPhysAddr(MemorySegment run) {
        return run.get(JAVA_LONG, MMIO_PHYS_ADDR);
    }

    public static int mmioLen(MemorySegment run) {
        return run.get(JAVA_INT, MMIO_LEN);
    }

    public static boolean mmioIsWrite(MemorySegment run) {
        return run.get(JAVA_BYTE, MMIO_IS_WRITE) != 0;
    }

    public static int internalSuberror(MemorySegment run) {
        return run.get(JAVA_INT, INTERNAL_SUBERROR);
    }

    public static int internalNdata(MemorySegment run) {
        return run.get(JAVA_INT, INTERNAL_NDATA);
    }

    public static int systemEventType(MemorySegment run) {
        return run.get(JAVA_INT, SYSTEM_EVENT_TYPE);
    }

    public static int systemEventNdata(MemorySegment run) {
        return run.get(JAVA_INT, SYSTEM_EVENT_NDATA);
    }
}
