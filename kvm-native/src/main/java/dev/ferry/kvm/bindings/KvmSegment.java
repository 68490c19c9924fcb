package dev.ferry.kvm.bindings;

import static dev.ferry.kvm.bindings.CLayouts.struct;
import static dev.ferry.kvm.bindings.CLayouts.u16;
import static dev.ferry.kvm.bindings.CLayouts.u32;
import static dev.ferry.kvm.bindings.CLayouts.u64;
import static dev.ferry.kvm.bindings.CLayouts.u8;

import java.lang.foreign.StructLayout;

/** {@code struct kvm_segment}: a segment register's hidden part. */
public final class KvmSegment {

    public static final StructLayout LAYOUT = struct("kvm_segment",
            u64("base"), u32("limit"), u16("selector"), u8("type"), u8("present"), u8("dpl"), u8("db"),
            u8("s"), u8("l"), u8("g"), u8("avl"), u8("unusable"), u8("padding"));

    private KvmSegment() {
    }
}
