package dev.ferry.vm.device.state;

/**
 * The CMOS clock's state at a pause: its 128 bytes of CMOS RAM (the time registers in it are not
 * used: the time is always read from the host's clock) and the index the guest last selected, so a
 * read of port 0x71 after the move answers the register the guest chose before it.
 *
 * @param index the selected register, 0..127
 * @param ram the 128 bytes of CMOS RAM
 */
public record CmosState(int index, byte[] ram) {

    /** Bumped only on an incompatible change of this record. */
    public static final int VERSION = 1;
    /** Bytes of CMOS RAM. */
    public static final int RAM_BYTES = 128;

    /** Checks a state from a stream before the device takes it. */
    public CmosState {
        if (index < 0 || index >= RAM_BYTES) {
            throw new IllegalArgumentException("cmos state: index " + index + " is not a register (0.." + (RAM_BYTES - 1) + ")");
        }
        if (ram == null || ram.length != RAM_BYTES) {
            throw new IllegalArgumentException("cmos state: " + (ram == null ? "no RAM" : ram.length + " bytes of RAM")
                    + ", not " + RAM_BYTES);
        }
        ram = ram.clone();
    }

    /**
     * The CMOS RAM, as a copy.
     *
     * @return 128 bytes
     */
    @Override
    public byte[] ram() {
        return ram.clone();
    }
}
