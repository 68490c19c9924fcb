package dev.ferry.vm.guest;

/** What the VMM can ask the running guest through the config block. */
public enum GuestCommand {
    /** Check every page and block written so far; report "verify ok" or "verify FAILED". */
    VERIFY(1),
    /** Flush the disk, stop the workloads, report "stopped" and write the STOP code. */
    STOP(2);

    private final int code;

    GuestCommand(int code) {
        this.code = code;
    }

    /**
     * The number the guest reads from its config block.
     *
     * @return the code
     */
    public int code() {
        return code;
    }
}
