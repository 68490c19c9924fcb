package dev.ferry.kvm.bindings;

import static dev.ferry.kvm.bindings.CLayouts.array;
import static dev.ferry.kvm.bindings.CLayouts.struct;
import static dev.ferry.kvm.bindings.CLayouts.u16;
import static dev.ferry.kvm.bindings.CLayouts.u32;
import static dev.ferry.kvm.bindings.CLayouts.u64;
import static dev.ferry.kvm.bindings.CLayouts.u8;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.StructLayout;

/** {@code struct kvm_pit_state2} (KVM_GET/SET_PIT2) and {@code struct kvm_pit_config} (KVM_CREATE_PIT2). */
public final class KvmPitState2 {

    public static final StructLayout CHANNEL = struct("kvm_pit_channel_state",
            u32("count"), u16("latched_count"), u8("count_latched"), u8("status_latched"), u8("status"),
            u8("read_state"), u8("write_state"), u8("write_latch"), u8("rw_mode"), u8("mode"), u8("bcd"),
            u8("gate"), u64("count_load_time"));

    public static final StructLayout LAYOUT = struct("kvm_pit_state2",
            array("channels", 3, CHANNEL), u32("flags"), array("reserved", 9, JAVA_INT));

    public static final StructLayout CONFIG = struct("kvm_pit_config", u32("flags"), array("pad", 15, JAVA_INT));

    private KvmPitState2() {
    }
}
