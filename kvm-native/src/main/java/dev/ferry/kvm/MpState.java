package dev.ferry.kvm;

/** {@code KVM_MP_STATE_*}: a vCPU's multiprocessing state; the ordinal is KVM's number. */
public enum MpState {
    /** Runs guest code: the boot vCPU, and an application processor once started. */
    RUNNABLE,
    /** An application processor waiting for INIT. */
    UNINITIALIZED,
    /** INIT received, waiting for a startup IPI. */
    INIT_RECEIVED,
    /** Halted by HLT until an interrupt; only with the in-kernel irqchip. */
    HALTED,
    /** Startup IPI received; runs at its vector next. */
    SIPI_RECEIVED,
    /** s390 only. */
    STOPPED,
    /** s390 only. */
    CHECK_STOP,
    /** s390 only. */
    OPERATING,
    /** s390 only. */
    LOAD,
    /** An SEV-ES application processor parked by the guest. */
    AP_RESET_HOLD,
    /** arm64 only (PSCI system suspend). */
    SUSPENDED;

    /**
     * The state KVM numbers {@code code}.
     *
     * @param code KVM's number
     * @return the state
     * @throws IllegalArgumentException for an unknown number
     */
    public static MpState of(int code) {
        MpState[] all = values();
        if (code < 0 || code >= all.length) {
            throw new IllegalArgumentException("unknown KVM_MP_STATE " + code);
        }
        return all[code];
    }
}
