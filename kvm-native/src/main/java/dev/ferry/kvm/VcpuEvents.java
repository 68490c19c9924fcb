package dev.ferry.kvm;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;

import dev.ferry.kvm.bindings.CLayouts;
import dev.ferry.kvm.bindings.KvmConstants;
import dev.ferry.kvm.bindings.KvmVcpuEvents;
import java.lang.foreign.MemorySegment;

/**
 * Pending exception, interrupt, NMI and SMI (KVM_GET/SET_VCPU_EVENTS), as the raw bytes of {@code struct kvm_vcpu_events}: carried through migration
 * unchanged between hosts with the same KVM ABI.
 *
 * @param bytes the struct's bytes
 */
public record VcpuEvents(StructBytes bytes) {

    private static final long FLAGS = CLayouts.offset(KvmVcpuEvents.LAYOUT, "flags");
    private static final long NMI_PENDING = CLayouts.offset(KvmVcpuEvents.LAYOUT, "nmi.pending");

    /**
     * Whether an NMI waits to be delivered.
     *
     * @return true if nmi.pending is set
     */
    public boolean nmiPending() {
        return bytes.segment().get(JAVA_BYTE, NMI_PENDING) != 0;
    }

    /**
     * The KVM_VCPUEVENT_VALID_* flags.
     *
     * @return the flags word
     */
    public int flags() {
        return bytes.segment().get(JAVA_INT_UNALIGNED, FLAGS);
    }

    /**
     * These events as KVM_SET_VCPU_EVENTS must get them to restore everything: KVM_GET_VCPU_EVENTS
     * reports the shadow (and SMM) flags itself, but takes nmi.pending and sipi_vector only when
     * their VALID flags are set, which it never reports (QEMU sets both on a full restore).
     *
     * @return a copy with the VALID flags set for nmi.pending and sipi_vector
     */
    public VcpuEvents forRestore() {
        byte[] raw = bytes.toArray();
        MemorySegment.ofArray(raw).set(JAVA_INT_UNALIGNED, FLAGS, flags()
                | KvmConstants.KVM_VCPUEVENT_VALID_NMI_PENDING | KvmConstants.KVM_VCPUEVENT_VALID_SIPI_VECTOR);
        return new VcpuEvents(StructBytes.copyOf(raw));
    }
}
