package dev.ferry.kvm.bindings;

import static dev.ferry.kvm.bindings.CLayouts.array;
import static dev.ferry.kvm.bindings.CLayouts.struct;
import static dev.ferry.kvm.bindings.CLayouts.u32;
import static dev.ferry.kvm.bindings.CLayouts.u64;
import static dev.ferry.kvm.bindings.CLayouts.u8;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import java.lang.foreign.StructLayout;

/** {@code struct kvm_vcpu_events}: pending exception, interrupt, NMI, SMI and triple fault. */
public final class KvmVcpuEvents {

    public static final StructLayout LAYOUT = struct("kvm_vcpu_events",
            struct("exception", u8("injected"), u8("nr"), u8("has_error_code"), u8("pending"), u32("error_code")),
            struct("interrupt", u8("injected"), u8("nr"), u8("soft"), u8("shadow")),
            struct("nmi", u8("injected"), u8("pending"), u8("masked"), u8("pad")),
            u32("sipi_vector"), u32("flags"),
            struct("smi", u8("smm"), u8("pending"), u8("smm_inside_nmi"), u8("latched_init")),
            struct("triple_fault", u8("pending")),
            array("reserved", 26, JAVA_BYTE), u8("exception_has_payload"), u64("exception_payload"));

    private KvmVcpuEvents() {
    }
}
