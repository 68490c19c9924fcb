package dev.ferry.kvm.bindings;

import static dev.ferry.kvm.bindings.CLayouts.array;
import static dev.ferry.kvm.bindings.CLayouts.struct;
import static dev.ferry.kvm.bindings.CLayouts.u16;
import static dev.ferry.kvm.bindings.CLayouts.u32;
import static dev.ferry.kvm.bindings.CLayouts.u64;
import static dev.ferry.kvm.bindings.CLayouts.u8;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

/** {@code struct kvm_fpu}: x87 and SSE state in fxsave format. */
public final class KvmFpu {

    public static final StructLayout LAYOUT = struct("kvm_fpu",
            array("fpr", 8, MemoryLayout.sequenceLayout(16, JAVA_BYTE)),
            u16("fcw"), u16("fsw"), u8("ftwx"), u8("pad1"), u16("last_opcode"), u64("last_ip"), u64("last_dp"),
            array("xmm", 16, MemoryLayout.sequenceLayout(16, JAVA_BYTE)), u32("mxcsr"), u32("pad2"));

    private KvmFpu() {
    }
}
