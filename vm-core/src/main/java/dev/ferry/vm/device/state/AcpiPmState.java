package dev.ferry.vm.device.state;

/**
 * The ACPI PM1a registers at a pause: what the kernel wrote to the event enable and control
 * blocks, and any status bit not yet cleared. Each is a 16-bit register. SCI_EN is set in every
 * valid control value (the machine is always in ACPI mode) and SLP_EN in none (a sleep request is
 * never latched), so a record that says otherwise did not come from a Ferry device.
 *
 * @param status PM1a_STS
 * @param enable PM1a_EN
 * @param control PM1a_CNT
 */
public record AcpiPmState(int status, int enable, int control) {

    /** Bumped only on an incompatible change of this record. */
    public static final int VERSION = 1;
    /** PM1a_CNT's SCI_EN bit: ACPI mode. */
    public static final int SCI_EN = 1;
    /** PM1a_CNT's SLP_EN bit: the write-only sleep request. */
    public static final int SLP_EN = 1 << 13;

    /** Checks a state from a stream before the device takes it. */
    public AcpiPmState {
        checkWord("status", status);
        checkWord("enable", enable);
        checkWord("control", control);
        if ((control & SCI_EN) == 0 || (control & SLP_EN) != 0) {
            throw new IllegalArgumentException("acpi pm state: control 0x" + Integer.toHexString(control)
                    + " must have SCI_EN set and SLP_EN clear");
        }
    }

    private static void checkWord(String name, int value) {
        if (value < 0 || value > 0xffff) {
            throw new IllegalArgumentException("acpi pm state: " + name + " = " + value + " is not a 16-bit register");
        }
    }
}
