package dev.ferry.kvm;

/** {@code KVM_MP_STATE_*}: a vCPU's multiprocessing state; the ordinal is KVM's number. */
public enum MpState {
    RUNNABLE, UNINITIALIZED, INIT_RECEIVED, HALTED, SIPI_RECEIVED, STOPPED, CHECK_STOP, OPERATING, LOAD,
    AP_RESET_HOLD, SUSPENDED;

    /** The state KVM numbers {@code code}. */
    public static MpState of(int code) {
        MpState[] all = values();
        if (code < 0 || code >= all.length) {
            throw new IllegalArgumentException("unknown KVM_MP_STATE " + code);
        }
        return all[code];
    }
}
