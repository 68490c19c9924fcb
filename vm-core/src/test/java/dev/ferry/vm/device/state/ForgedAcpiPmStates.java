package dev.ferry.vm.device.state;

/**
 * What a corrupt source could send as an "acpi-pm" section. They live in this package because
 * the module opens it to savevm's codec, as it does for the real state records.
 */
public final class ForgedAcpiPmStates {

    private ForgedAcpiPmStates() {
    }

    /**
     * {@link AcpiPmState}'s shape (component names and types) without its checks.
     *
     * @param status PM1a_STS, any int
     * @param enable PM1a_EN, any int
     * @param control PM1a_CNT, any int
     */
    public record Unchecked(int status, int enable, int control) {
    }

    /**
     * {@link AcpiPmState} with its last component cut off.
     *
     * @param status PM1a_STS
     * @param enable PM1a_EN
     */
    public record Cut(int status, int enable) {
    }
}
